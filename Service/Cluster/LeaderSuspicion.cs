namespace GeoLedger.Cluster;

/// <summary>
/// Whether a follower still trusts the leader it knows to be alive. .NEXT keeps naming a leader until
/// this node's own election timer fires (250-350 ms locally), so right after the leader crashed a
/// follower would send clients to a dead address. The leader is <em>suspect</em> when, with no message
/// of its being processed now:
/// <list type="bullet">
/// <item>nothing from it was accepted for longer than <see cref="SuspectAfter"/> (a few heartbeat
/// periods: a frozen, partitioned or vanished machine), or</item>
/// <item>the connection that carried its last accepted message closed since (a crashed or stopped
/// process: the kernel closes its sockets at once; seen on the socket itself, <see cref="RaftConnection"/>,
/// before the server's own report of the close arrives).</item>
/// </list>
/// The next accepted message, or a new leader becoming known, ends the suspicion. While the leader is
/// suspect, requests that would go to it wait instead (<see cref="ClusterView.WaitForLeaderAsync"/>).
/// </summary>
/// <remarks>
/// Fed by <see cref="LeaderSuspicionMiddleware"/> (every AppendEntries and InstallSnapshot on the Raft
/// port) and by .NEXT's leader-changed event. A false suspicion only delays a redirect until the
/// leader's next heartbeat.
/// </remarks>
public sealed class LeaderSuspicion
{
    /// <summary>Heartbeat periods without an accepted message after which the leader is suspect.</summary>
    public const int MissedHeartbeats = 3;

    private const long Never = long.MinValue;

    private readonly TimeProvider time;
    private readonly long suspectAfterTicks;
    private long lastHeard = Never;
    private long lostAt = Never;
    private object? leaderConnection;
    private RaftConnection? probed; // the connection of the last accepted message, looked at directly until a new leader is known
    private int hearing;
    private bool closedWhileHearing; // a message's connection closed while it was processed; reset when none is processed, or by the next accepted one
    private TaskCompletionSource? change;

    /// <summary>A suspicion that starts after <paramref name="suspectAfter"/> without an accepted message.</summary>
    public LeaderSuspicion(TimeSpan suspectAfter, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(suspectAfter, TimeSpan.Zero);
        this.time = time ?? TimeProvider.System;
        SuspectAfter = suspectAfter;
        suspectAfterTicks = (long)(suspectAfter.TotalSeconds * this.time.TimestampFrequency);
    }

    /// <summary>How long without an accepted message makes the leader suspect.</summary>
    public TimeSpan SuspectAfter { get; }

    /// <summary>True when the leader may be gone (see the class summary); false while it is heard from.</summary>
    public bool IsSuspect
    {
        get
        {
            if (Volatile.Read(ref hearing) > 0)
                return Volatile.Read(ref closedWhileHearing) || LeaderConnectionEnded(); // its sender died while this node processed it
            var heard = Volatile.Read(ref lastHeard);
            return heard == Never || Volatile.Read(ref lostAt) >= heard || time.GetTimestamp() - heard > suspectAfterTicks || LeaderConnectionEnded();
        }
    }

    /// <summary>The suspicion for a heartbeat period of <paramref name="heartbeat"/>.</summary>
    public static LeaderSuspicion ForHeartbeat(TimeSpan heartbeat, TimeProvider? time = null) => new(heartbeat * MissedHeartbeats, time);

    /// <summary>
    /// A message that may come from the leader (AppendEntries, InstallSnapshot) is being processed; it arrived on a
    /// connection that <paramref name="connectionClosed"/> reports closing. Dispose the result when it ends. A
    /// connection closing meanwhile makes the leader suspect at once: a message being processed no longer vouches
    /// for a sender that died (until the next accepted message).
    /// </summary>
    public CancellationTokenRegistration HearingStarted(CancellationToken connectionClosed = default)
    {
        Interlocked.Increment(ref hearing);
        return connectionClosed.Register(static state => Volatile.Write(ref ((LeaderSuspicion)state!).closedWhileHearing, true), this);
    }

    /// <summary>
    /// That message is done; when this node accepted it (its sender is the leader of the current
    /// term), <paramref name="acceptedOn"/> identifies the connection it came on, else null.
    /// <paramref name="connectionClosed"/> is that connection's closing: a message accepted after
    /// its connection closed (the leader died while it was processed) leaves the leader suspect.
    /// </summary>
    public void HearingEnded(object? acceptedOn, CancellationToken connectionClosed = default)
    {
        if (acceptedOn is not null)
        {
            Heard(acceptedOn);
            // Checked after Heard: a close seen here, or one whose callback runs later, stamps lostAt >= lastHeard.
            if (connectionClosed.IsCancellationRequested)
                ConnectionClosed(acceptedOn);
        }

        if (Interlocked.Decrement(ref hearing) == 0)
            Volatile.Write(ref closedWhileHearing, false); // from here the rules above decide (an accepted message's closed connection stamped lostAt)
    }

    /// <summary>
    /// The leader was heard from: a message of it was accepted on <paramref name="connection"/>, or
    /// (null) a new leader became known, which .NEXT only learns from that leader's own message or by
    /// winning an election.
    /// </summary>
    public void Heard(object? connection = null)
    {
        if (connection is not null)
            Volatile.Write(ref leaderConnection, connection);
        Volatile.Write(ref probed, connection as RaftConnection); // a new leader (null) is not judged by the old one's connection
        Volatile.Write(ref closedWhileHearing, false);
        Volatile.Write(ref lastHeard, time.GetTimestamp());
        Wake();
    }

    /// <summary>
    /// <paramref name="connection"/> closed. The leader becomes suspect when it is the connection
    /// its last accepted message came on; a pooled connection being replaced does not count.
    /// </summary>
    public void ConnectionClosed(object connection)
    {
        if (ReferenceEquals(Volatile.Read(ref leaderConnection), connection))
            Volatile.Write(ref lostAt, time.GetTimestamp());
    }

    // The peer of the last accepted message's connection is gone, seen on its socket before the server reports the close.
    private bool LeaderConnectionEnded() => Volatile.Read(ref probed) is { } connection && connection.PeerClosed();

    /// <summary>
    /// A task that completes the next time the leader is heard from or a leader becomes known. Take
    /// it before checking <see cref="IsSuspect"/>, so that a change in between is not missed.
    /// </summary>
    public Task NextChange()
    {
        if (Volatile.Read(ref change) is { } pending)
            return pending.Task;
        var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return (Interlocked.CompareExchange(ref change, created, null) ?? created).Task;
    }

    // Heard runs for every accepted message (thousands a second under load): only an atomic read when nobody waits.
    private void Wake()
    {
        if (Volatile.Read(ref change) is not null)
            Interlocked.Exchange(ref change, null)?.TrySetResult();
    }
}
