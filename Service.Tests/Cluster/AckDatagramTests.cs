using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using GeoLedger.Cluster;
using Microsoft.Extensions.Logging.Abstractions;

namespace GeoLedger.Tests.Cluster;

/// <summary>Acknowledgement datagrams: the format, its MAC, and a follower's sender against the leader's datagram server on loopback.</summary>
public sealed class AckDatagramTests
{
    private static readonly byte[] Key = AckDatagram.Key(new ClusterSecret("the-cluster-secret"));
    private static readonly byte[] OtherKey = AckDatagram.Key(new ClusterSecret("another-secret"));
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private const string Member = "http://127.0.0.1:8282";

    [Fact]
    public void An_acknowledgement_reads_back_as_written()
    {
        var buffer = new byte[AckDatagram.MaxLength];
        var length = AckDatagram.Write(buffer, Key, 7, 123_456_789_012, Member);

        Assert.True(AckDatagram.IsAck(buffer.AsSpan(0, length)));
        Assert.True(AckDatagram.TryRead(buffer.AsSpan(0, length), Key, out var term, out var index, out var member));
        Assert.Equal((7L, 123_456_789_012L, Member), (term, index, member));
    }

    [Fact]
    public void An_acknowledgement_with_any_byte_changed_or_cut_short_or_under_another_key_is_not_read()
    {
        var buffer = new byte[AckDatagram.MaxLength];
        var ack = buffer.AsSpan(0, AckDatagram.Write(buffer, Key, 7, 42, Member)).ToArray();

        Assert.False(AckDatagram.TryRead(ack, OtherKey, out _, out _, out _));
        Tampering.AssertEveryChangeRefused(ack, a => AckDatagram.TryRead(a, Key, out _, out _, out _));
    }

    [Fact]
    public void A_member_too_long_for_one_datagram_is_not_written_and_a_question_is_no_acknowledgement()
    {
        var buffer = new byte[AckDatagram.MaxLength];
        Assert.Equal(0, AckDatagram.Write(buffer, Key, 7, 42, "http://" + new string('a', 600) + ":1"));

        var question = new byte[ReadIndexDatagram.MaxQuestionLength];
        Assert.False(AckDatagram.IsAck(question.AsSpan(0, ReadIndexDatagram.WriteQuestion(question, Key, 1, 7, Member))));
    }

    [Fact]
    public async Task The_leaders_server_hands_on_what_a_follower_sends_and_still_answers_read_index_questions()
    {
        var acknowledged = new BlockingCollection<(long Term, long Index, string Member)>();
        using var server = StartServer((_, _) => 5, (term, index, member) => acknowledged.Add((term, index, member)));
        using var sender = new AckDatagramSender(Key, Member, () => server.LocalEndPoint);
        using var stranger = new AckDatagramSender(OtherKey, "http://127.0.0.1:9999", () => server.LocalEndPoint);

        stranger.Send(7, 41); // not under the cluster's key: dropped
        sender.Send(7, 42);

        Assert.True(acknowledged.TryTake(out var first, Patience), "the acknowledgement did not arrive");
        Assert.Equal((7L, 42L, Member), first);
        using var client = new ReadIndexDatagramClient(ReadIndexDatagram.Key(new ClusterSecret("the-cluster-secret")));
        Assert.Equal(5, await Task.Run(() => client.Ask(server.LocalEndPoint!, 7, Member)));
        Assert.Empty(acknowledged); // the stranger's datagram, sent before ours on the same path, was not handed on
    }

    [Fact]
    public void A_server_without_a_read_index_answer_leaves_questions_unanswered()
    {
        var acknowledged = new BlockingCollection<(long, long, string)>();
        using var server = StartServer(answer: null, (term, index, member) => acknowledged.Add((term, index, member)));
        using var client = new ReadIndexDatagramClient(ReadIndexDatagram.Key(new ClusterSecret("the-cluster-secret")));

        Assert.Null(client.Ask(server.LocalEndPoint!, 7, Member));

        using var sender = new AckDatagramSender(Key, Member, () => server.LocalEndPoint);
        sender.Send(7, 42);
        Assert.True(acknowledged.TryTake(out _, Patience), "the acknowledgement did not arrive");
    }

    [Fact]
    public void Without_a_known_leader_nothing_is_sent()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        IPEndPoint? leader = null;
        using var sender = new AckDatagramSender(Key, Member, () => leader);

        sender.Send(7, 41);
        leader = (IPEndPoint)listener.LocalEndPoint!;
        sender.Send(7, 42);

        listener.ReceiveTimeout = (int)Patience.TotalMilliseconds;
        var buffer = new byte[AckDatagram.MaxLength + 1];
        var length = listener.Receive(buffer);
        Assert.True(AckDatagram.TryRead(buffer.AsSpan(0, length), Key, out _, out var index, out _));
        Assert.Equal(42, index); // the first was never sent
    }

    private static RaftDatagramServer StartServer(Func<long, string, long?>? answer, Action<long, long, string> acknowledge)
    {
        var handlers = new RaftDatagramHandlers { ReadIndexKey = ReadIndexDatagram.Key(new ClusterSecret("the-cluster-secret")), Answer = answer, AckKey = Key, Acknowledge = acknowledge };
        var server = new RaftDatagramServer(new IPEndPoint(IPAddress.Loopback, 0), handlers, NullLogger.Instance);
        server.Start();
        Assert.NotNull(server.LocalEndPoint);
        return server;
    }
}
