using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using GeoLedger.Cluster;
using Microsoft.Extensions.Logging.Abstractions;

namespace GeoLedger.Tests.Cluster;

/// <summary>Read-index questions and answers as datagrams: the format, its MAC, and a follower's client against a leader's server on loopback.</summary>
public sealed class ReadIndexDatagramTests
{
    private static readonly byte[] Key = ReadIndexDatagram.Key(new ClusterSecret("the-cluster-secret"));
    private static readonly byte[] OtherKey = ReadIndexDatagram.Key(new ClusterSecret("another-secret"));
    private const string Member = "http://127.0.0.1:8282/";

    [Fact]
    public void A_question_reads_back_as_written()
    {
        var buffer = new byte[ReadIndexDatagram.MaxQuestionLength];
        var length = ReadIndexDatagram.WriteQuestion(buffer, Key, 0xFEDC_BA98_7654_3210, 7, Member);

        Assert.True(ReadIndexDatagram.TryReadQuestion(buffer.AsSpan(0, length), Key, out var nonce, out var term, out var member));
        Assert.Equal(0xFEDC_BA98_7654_3210, nonce);
        Assert.Equal(7, term);
        Assert.Equal(Member, member);
    }

    [Fact]
    public void A_question_with_any_byte_changed_or_cut_short_or_under_another_key_is_not_read()
    {
        var buffer = new byte[ReadIndexDatagram.MaxQuestionLength];
        var question = buffer.AsSpan(0, ReadIndexDatagram.WriteQuestion(buffer, Key, 1, 7, Member)).ToArray();

        Assert.False(ReadIndexDatagram.TryReadQuestion(question, OtherKey, out _, out _, out _));
        Tampering.AssertEveryChangeRefused(question, q => ReadIndexDatagram.TryReadQuestion(q, Key, out _, out _, out _));
    }

    [Fact]
    public void A_member_endpoint_too_long_for_one_question_is_not_written()
    {
        var buffer = new byte[ReadIndexDatagram.MaxQuestionLength];
        Assert.Equal(0, ReadIndexDatagram.WriteQuestion(buffer, Key, 1, 7, "http://" + new string('a', 600) + ":1/"));
    }

    [Theory]
    [InlineData(42L)]
    [InlineData(null)]
    public void An_answer_reads_back_as_written_for_its_own_question_only(long? index)
    {
        var buffer = new byte[ReadIndexDatagram.AnswerLength];
        var length = ReadIndexDatagram.WriteAnswer(buffer, Key, 99, index);
        Assert.Equal(ReadIndexDatagram.AnswerLength, length);

        Assert.True(ReadIndexDatagram.TryReadAnswer(buffer, Key, 99, out var read));
        Assert.Equal(index, read);
        Assert.False(ReadIndexDatagram.TryReadAnswer(buffer, Key, 98, out _)); // a late answer to another question
        Assert.False(ReadIndexDatagram.TryReadAnswer(buffer, OtherKey, 99, out _)); // forged without the secret
        Tampering.AssertEveryChangeRefused(buffer, a => ReadIndexDatagram.TryReadAnswer(a, Key, 99, out _));
    }

    [Fact]
    public void A_follower_gets_the_leader_answer_for_its_term_and_endpoint()
    {
        var asked = new ConcurrentQueue<(long Term, string Member)>();
        using var server = StartServer(Key, (term, member) =>
        {
            asked.Enqueue((term, member));
            return term == 7 ? 1234 : null;
        });
        using var client = new ReadIndexDatagramClient(Key);

        Assert.Equal(1234, client.Ask(server.LocalEndPoint!, 7, Member));
        Assert.Null(client.Ask(server.LocalEndPoint!, 8, Member)); // refused: the round goes over HTTP
        Assert.Equal(1234, client.Ask(server.LocalEndPoint!, 7, Member)); // a refusal is an answer: datagrams stay on
        Assert.Equal([(7L, Member), (8L, Member), (7L, Member)], asked.ToArray());
    }

    [Fact]
    public void An_answer_from_a_server_without_the_secret_is_not_taken()
    {
        using var server = StartServer(OtherKey, (_, _) => 1);
        using var client = new ReadIndexDatagramClient(Key);

        // The server drops the question (wrong MAC), so nothing comes back: no index, after the client's wait.
        Assert.Null(client.Ask(server.LocalEndPoint!, 7, Member));
    }

    [Fact]
    public async Task Forged_and_stale_answers_are_skipped_until_the_real_one_arrives()
    {
        // A "leader" that first sends an answer under another key, then one for another nonce, then the real one.
        using var leader = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        leader.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        // Its own thread: the client blocks this one, and a pool thread may not come before the client stops waiting.
        var answering = Task.Factory.StartNew(() =>
        {
            var question = new byte[ReadIndexDatagram.MaxQuestionLength];
            EndPoint from = new IPEndPoint(IPAddress.Any, 0);
            var length = leader.ReceiveFrom(question, ref from);
            Assert.True(ReadIndexDatagram.TryReadQuestion(question.AsSpan(0, length), Key, out var nonce, out _, out _));
            var answer = new byte[ReadIndexDatagram.AnswerLength];
            leader.SendTo(answer.AsSpan(0, ReadIndexDatagram.WriteAnswer(answer, OtherKey, nonce, 1)), from);
            leader.SendTo(answer.AsSpan(0, ReadIndexDatagram.WriteAnswer(answer, Key, nonce + 1, 2)), from);
            leader.SendTo(answer.AsSpan(0, ReadIndexDatagram.WriteAnswer(answer, Key, nonce, 3)), from);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        using var client = new ReadIndexDatagramClient(Key);

        Assert.Equal(3, client.Ask((IPEndPoint)leader.LocalEndPoint!, 7, Member));
        await answering;
    }

    [Fact]
    public void A_leader_with_nothing_on_the_port_refuses_at_once_and_three_misses_switch_datagrams_off()
    {
        // A port nobody binds: the kernel answers ICMP port unreachable, which a connected socket reports.
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var closed = (IPEndPoint)probe.LocalEndPoint!;
        probe.Dispose();
        var switchedOff = 0;
        using var client = new ReadIndexDatagramClient(Key, () => switchedOff++);

        var started = Stopwatch.GetTimestamp();
        Assert.Null(client.Ask(closed, 7, Member));
        Assert.Null(client.Ask(closed, 7, Member));
        Assert.Equal(0, switchedOff);
        Assert.Null(client.Ask(closed, 7, Member));
        Assert.Equal(1, switchedOff);
        Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromMilliseconds(900), "a refused port is not waited out (three waits would take 903 ms)");

        // Off now: even a leader that answers is not asked until the backoff ends.
        using var server = StartServer(Key, (_, _) => 5);
        Assert.Null(client.Ask(server.LocalEndPoint!, 7, Member));
    }

    [Fact]
    public void A_port_already_bound_leaves_the_server_without_an_endpoint()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var server = new RaftDatagramServer((IPEndPoint)taken.LocalEndPoint!, new RaftDatagramHandlers { ReadIndexKey = Key, Answer = (_, _) => 1 }, NullLogger.Instance);

        server.Start();

        Assert.Null(server.LocalEndPoint);
    }

    private static RaftDatagramServer StartServer(byte[] key, Func<long, string, long?> answer)
    {
        var server = new RaftDatagramServer(new IPEndPoint(IPAddress.Loopback, 0), new RaftDatagramHandlers { ReadIndexKey = key, Answer = answer }, NullLogger.Instance);
        server.Start();
        Assert.NotNull(server.LocalEndPoint);
        return server;
    }
}
