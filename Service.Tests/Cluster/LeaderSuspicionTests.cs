using System.Net;
using System.Net.Sockets;
using GeoLedger.Cluster;

namespace GeoLedger.Tests.Cluster;

/// <summary>When a follower stops trusting its leader, on a clock the test moves by hand.</summary>
public sealed class LeaderSuspicionTests
{
    private static readonly TimeSpan Heartbeat = TimeSpan.FromMilliseconds(50);

    private readonly ManualTime time = new();
    private readonly LeaderSuspicion suspicion;

    public LeaderSuspicionTests() => suspicion = LeaderSuspicion.ForHeartbeat(Heartbeat, time);

    [Fact]
    public void A_leader_never_heard_from_is_suspect()
    {
        Assert.Equal(Heartbeat * LeaderSuspicion.MissedHeartbeats, suspicion.SuspectAfter);
        Assert.True(suspicion.IsSuspect);
    }

    [Fact]
    public void The_leader_becomes_suspect_only_after_the_threshold_without_an_accepted_message()
    {
        suspicion.Heard(new object());
        time.Advance(suspicion.SuspectAfter);
        Assert.False(suspicion.IsSuspect);
        time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(suspicion.IsSuspect);

        suspicion.Heard();
        Assert.False(suspicion.IsSuspect);
    }

    [Fact]
    public void A_message_being_processed_counts_as_hearing_from_the_leader_until_it_ends()
    {
        suspicion.Heard();
        suspicion.HearingStarted();
        time.Advance(suspicion.SuspectAfter * 10); // a long catch-up batch
        Assert.False(suspicion.IsSuspect);

        suspicion.HearingEnded(acceptedOn: null); // rejected: says nothing about the leader
        Assert.True(suspicion.IsSuspect);

        suspicion.HearingStarted();
        time.Advance(suspicion.SuspectAfter * 10);
        suspicion.HearingEnded(acceptedOn: new object());
        Assert.False(suspicion.IsSuspect);
    }

    [Fact]
    public void The_connection_of_the_last_accepted_message_closing_makes_the_leader_suspect_at_once()
    {
        var connection = new object();
        suspicion.Heard(connection);
        suspicion.ConnectionClosed(connection);
        Assert.True(suspicion.IsSuspect);

        time.Advance(TimeSpan.FromMilliseconds(1));
        suspicion.Heard(new object()); // the leader again, on a new connection
        Assert.False(suspicion.IsSuspect);
    }

    [Fact]
    public void A_message_accepted_after_its_connection_closed_leaves_the_leader_suspect()
    {
        var connection = new object();
        suspicion.Heard(connection);
        using var closing = new CancellationTokenSource();
        suspicion.HearingStarted();
        closing.Cancel(); // the leader died while this node still processed its message
        suspicion.ConnectionClosed(connection);
        time.Advance(TimeSpan.FromMilliseconds(1));
        suspicion.HearingEnded(acceptedOn: connection, closing.Token);
        Assert.True(suspicion.IsSuspect);
    }

    [Fact]
    public void The_connection_of_a_message_being_processed_closing_makes_the_leader_suspect_at_once()
    {
        var connection = new object();
        suspicion.Heard(connection);
        using var closing = new CancellationTokenSource();
        using (suspicion.HearingStarted(closing.Token))
        {
            Assert.False(suspicion.IsSuspect);
            closing.Cancel(); // the leader died while this node still waits to flush what it sent
            Assert.True(suspicion.IsSuspect);
            suspicion.ConnectionClosed(connection);
            suspicion.HearingEnded(acceptedOn: connection, closing.Token);
        }

        Assert.True(suspicion.IsSuspect);
        time.Advance(TimeSpan.FromMilliseconds(1));
        suspicion.Heard(new object()); // a leader heard from again
        Assert.False(suspicion.IsSuspect);
    }

    [Fact]
    public void An_older_connection_closing_does_not_make_the_leader_suspect()
    {
        var old = new object();
        suspicion.Heard(old);
        time.Advance(TimeSpan.FromMilliseconds(1));
        suspicion.Heard(new object());
        suspicion.ConnectionClosed(old);
        Assert.False(suspicion.IsSuspect);
    }

    [Fact]
    public void A_new_leader_becoming_known_ends_a_suspicion_from_a_closed_connection()
    {
        var connection = new object();
        suspicion.Heard(connection);
        suspicion.ConnectionClosed(connection);
        time.Advance(TimeSpan.FromMilliseconds(1));
        suspicion.Heard(); // the leader-changed event: no connection
        Assert.False(suspicion.IsSuspect);
    }

    [Fact]
    public async Task Waiters_are_woken_by_the_next_accepted_message_and_only_by_it()
    {
        var change = suspicion.NextChange();
        Assert.Same(change, suspicion.NextChange());

        suspicion.HearingStarted();
        suspicion.HearingEnded(acceptedOn: null);
        suspicion.ConnectionClosed(new object());
        Assert.False(change.IsCompleted);

        suspicion.HearingStarted();
        suspicion.HearingEnded(acceptedOn: new object());
        await change.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.NotSame(change, suspicion.NextChange());
    }

    [Fact]
    public async Task A_leader_connection_whose_peer_closed_makes_the_leader_suspect_before_the_server_reports_the_close()
    {
        var (leaderEnd, acceptedEnd) = await ConnectAsync();
        using var leader = leaderEnd;
        using var accepted = acceptedEnd;
        var connection = new RaftConnection(accepted);

        suspicion.Heard(connection);
        await leader.SendAsync("AppendEntries"u8.ToArray(), SocketFlags.None); // unread bytes are not an end
        Assert.False(suspicion.IsSuspect);

        leader.Close(); // the leader's process ends; nobody calls ConnectionClosed
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!connection.PeerClosed() && DateTime.UtcNow < deadline)
        {
            accepted.Receive(new byte[64]); // what the server would read before it sees the end
        }

        Assert.True(connection.PeerClosed(), "the socket never showed the peer's close");
        Assert.True(suspicion.IsSuspect);
        using (suspicion.HearingStarted())
            Assert.True(suspicion.IsSuspect); // a message still being processed does not vouch for it either

        suspicion.Heard(); // a new leader becomes known: the old one's connection no longer counts
        Assert.False(suspicion.IsSuspect);
    }

    [Fact]
    public async Task A_leader_connection_the_server_is_reading_never_looks_closed()
    {
        // The leader streams messages while the server side reads them as fast as they come, as Kestrel does; a probe
        // that looks twice (readable? then: how many bytes?) sees an end whenever the reader empties the socket between
        // the two looks, which made a busy follower suspect its live leader.
        var (leaderEnd, acceptedEnd) = await ConnectAsync();
        using var leader = leaderEnd;
        using var accepted = acceptedEnd;
        var connection = new RaftConnection(accepted);
        using var stop = new CancellationTokenSource();
        var sender = Task.Factory.StartNew(() =>
        {
            var message = "AppendEntries"u8.ToArray();
            while (!stop.IsCancellationRequested)
                leader.Send(message);
        }, TaskCreationOptions.LongRunning);
        var reader = Task.Factory.StartNew(() =>
        {
            var buffer = new byte[4096];
            while (accepted.Receive(buffer) > 0)
            {
            }
        }, TaskCreationOptions.LongRunning);

        var probes = 0;
        var falseEnds = 0;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        while (DateTime.UtcNow < deadline)
        {
            probes++;
            if (connection.PeerClosed())
                falseEnds++;
        }

        stop.Cancel();
        await sender.WaitAsync(TimeSpan.FromSeconds(10));
        leader.Shutdown(SocketShutdown.Send);
        await reader.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(probes > 1000, $"only {probes} probes ran");
        Assert.Equal(0, falseEnds);
        Assert.True(connection.PeerClosed()); // and the end, once it comes, is seen
    }

    /// <summary>A loopback TCP connection: the leader's end and the end the server side accepted.</summary>
    private static async Task<(Socket Leader, Socket Accepted)> ConnectAsync()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var leader = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await leader.ConnectAsync(listener.LocalEndPoint!);
        return (leader, await listener.AcceptAsync());
    }

    /// <summary>A clock that moves only when told.</summary>
    private sealed class ManualTime : TimeProvider
    {
        private long now = 1_000_000;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => now;

        public void Advance(TimeSpan by) => now += by.Ticks;
    }
}
