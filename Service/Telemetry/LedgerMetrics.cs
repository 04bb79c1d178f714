using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace GeoLedger.Telemetry;

/// <summary>
/// GeoLedger's own instruments (meter <see cref="MeterName"/>), and the recorders that the storage and replication
/// core, the API and the Raft transport call. Every recorder is cheap and safe to call when nobody listens: an
/// instrument without a listener drops the measurement at once. docs/operating.md lists every instrument.
/// </summary>
public sealed class LedgerMetrics
{
    /// <summary>The meter's name, as OpenTelemetry is told to collect it.</summary>
    public const string MeterName = "GeoLedger";

    /// <summary>Latency boundaries in seconds, 0.1 ms to 10 s: local reads are sub-millisecond, elections take seconds.</summary>
    private static readonly IReadOnlyList<double> LatencyBuckets =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly Counter<long> leaderChanges;
    private readonly Counter<long> proposalsCommitted;
    private readonly Counter<long> proposalsFailed;
    private readonly UpDownCounter<long> proposalsPending;
    private readonly Histogram<double> writeDuration;
    private readonly Histogram<double> readDuration;
    private readonly Histogram<double> logFlushDuration;
    private readonly Histogram<double> snapshotDuration;
    private readonly Histogram<double> raftRpcDuration;
    private readonly Counter<long> rejected;
    private readonly Counter<long> readIndexRounds;
    private readonly Counter<long> entryPushes;
    private readonly Counter<long> ackDatagrams;
    private readonly ConcurrentDictionary<string, long> memberProgress = new(StringComparer.Ordinal);
    private long snapshotBytes = -1;
    private long storeKeys = -1;
    private long storeBytes = -1;

    /// <summary>Creates the instruments on the meter <see cref="MeterName"/> of <paramref name="meters"/>.</summary>
    public LedgerMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        leaderChanges = meter.CreateCounter<long>("geoledger.raft.leader.changes", "{change}", "Times this node saw a new leader elected (any member, itself included).");
        proposalsCommitted = meter.CreateCounter<long>("geoledger.raft.proposals.committed", "{proposal}", "Writes this node proposed as leader that were committed and applied.");
        proposalsFailed = meter.CreateCounter<long>("geoledger.raft.proposals.failed", "{proposal}", "Writes this node proposed whose commit was not seen (answered 504), by reason.");
        proposalsPending = meter.CreateUpDownCounter<long>("geoledger.raft.proposals.pending", "{proposal}", "Writes in flight on this node: handed to the write path and not yet answered.");
        writeDuration = meter.CreateHistogram("geoledger.kv.write.duration", "s", "Time to answer a write, by route and status.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        readDuration = meter.CreateHistogram("geoledger.kv.read.duration", "s", "Time to answer a read, by route, consistency and status.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        logFlushDuration = meter.CreateHistogram("geoledger.log.flush.duration", "s", "Time to make appended log entries durable (write and fsync).", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        snapshotDuration = meter.CreateHistogram("geoledger.snapshot.duration", "s", "Time to write a snapshot, from start to its publication.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        raftRpcDuration = meter.CreateHistogram("geoledger.raft.rpc.duration", "s", "Time of one Raft request to a member, by member and message.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets });
        readIndexRounds = meter.CreateCounter<long>("geoledger.read_index.rounds", "{round}", "Read-index rounds this node sent to the leader as a follower, by transport (datagram, http); each serves every linearizable read that joined it.");
        entryPushes = meter.CreateCounter<long>("geoledger.raft.entry_pushes", "{push}", "Pushes of entries this node sent as leader to a member while .NEXT's heartbeat to it was unanswered, by outcome (acknowledged, refused, failed).");
        ackDatagrams = meter.CreateCounter<long>("geoledger.raft.ack_datagrams", "{datagram}", "Acknowledgement datagrams from followers this node counted as leader (entries on a follower's disk, told beside its HTTP answer).");
        rejected = meter.CreateCounter<long>("geoledger.requests.rejected", "{request}", "Client requests refused before they reached the ledger, by reason (auth, size, admission, host, invalid).");
        meter.CreateObservableGauge("geoledger.snapshot.size", () => Observed(Volatile.Read(ref snapshotBytes)), "By", "Size of the newest snapshot this node wrote.");
        meter.CreateObservableGauge("geoledger.store.live_bytes", () => Observed(Volatile.Read(ref storeBytes)), "By", "Bytes of keys and values in the store.");
        meter.CreateObservableGauge("geoledger.store.keys", () => Observed(Volatile.Read(ref storeKeys) is >= 0 and var keys ? keys : KeysSource?.Invoke() ?? -1), "{key}", "Keys in the store.");
        Meter = meter;
    }

    /// <summary>The meter, for instruments observed from the cluster's state (<see cref="ClusterMetrics"/>).</summary>
    internal Meter Meter { get; }

    /// <summary>Where the key count comes from until the core reports it with <see cref="StoreSize"/>.</summary>
    internal Func<long>? KeysSource { get; set; }

    // ---- Recorders for the storage and replication core ----

    /// <summary>The log made entries durable (written and fsynced) in <paramref name="duration"/>.</summary>
    public void LogFlushed(TimeSpan duration) => logFlushDuration.Record(duration.TotalSeconds);

    /// <summary>A snapshot of <paramref name="bytes"/> bytes was written and published in <paramref name="duration"/>.</summary>
    public void SnapshotWritten(TimeSpan duration, long bytes)
    {
        snapshotDuration.Record(duration.TotalSeconds);
        Volatile.Write(ref snapshotBytes, bytes);
    }

    /// <summary>The store now holds <paramref name="keys"/> keys of <paramref name="liveBytes"/> bytes (keys and values); after an apply or a restore.</summary>
    public void StoreSize(long keys, long liveBytes)
    {
        Volatile.Write(ref storeKeys, keys);
        Volatile.Write(ref storeBytes, liveBytes);
    }

    /// <summary>This node, as leader, learned that <paramref name="memberId"/>'s log ends at <paramref name="lastIndex"/>.</summary>
    public void MemberReplicated(string memberId, long lastIndex) => memberProgress[memberId] = lastIndex;

    /// <summary>A write was handed to the write path; dispose the result when it is answered.</summary>
    public PendingProposal ProposalStarted()
    {
        proposalsPending.Add(1);
        return new PendingProposal(this);
    }

    /// <summary>A proposed write was committed and applied.</summary>
    public void ProposalCommitted() => proposalsCommitted.Add(1);

    /// <summary>A proposed write's commit was not seen (its outcome is unknown), for <paramref name="reason"/>.</summary>
    public void ProposalFailed(string reason) => proposalsFailed.Add(1, new KeyValuePair<string, object?>("geoledger.reason", reason));

    // ---- Recorders for the API and the transport ----

    /// <summary>A new leader became known.</summary>
    public void LeaderChanged() => leaderChanges.Add(1);

    /// <summary>A client request was refused for <paramref name="reason"/> (auth, size, admission, host, invalid).</summary>
    public void RequestRejected(string reason) => rejected.Add(1, new KeyValuePair<string, object?>("geoledger.reason", reason));

    /// <summary>A read on <paramref name="route"/> at <paramref name="consistency"/> was answered with <paramref name="status"/> after <paramref name="elapsed"/>.</summary>
    public void ReadAnswered(string route, string consistency, int status, TimeSpan elapsed) =>
        readDuration.Record(elapsed.TotalSeconds, new TagList { { "http.route", route }, { "geoledger.consistency", consistency }, { "http.response.status_code", status } });

    /// <summary>A write on <paramref name="route"/> was answered with <paramref name="status"/> after <paramref name="elapsed"/>.</summary>
    public void WriteAnswered(string route, int status, TimeSpan elapsed) =>
        writeDuration.Record(elapsed.TotalSeconds, new TagList { { "http.route", route }, { "http.response.status_code", status } });

    /// <summary>A read-index round to the leader was answered over <paramref name="transport"/> (datagram or http).</summary>
    public void ReadIndexRound(string transport) => readIndexRounds.Add(1, new KeyValuePair<string, object?>("geoledger.transport", transport));

    /// <summary>A push of entries (<see cref="GeoLedger.Cluster.EntryPush"/>) ended with <paramref name="outcome"/> (acknowledged, refused or failed).</summary>
    public void EntryPushed(string outcome) => entryPushes.Add(1, new KeyValuePair<string, object?>("geoledger.outcome", outcome));

    /// <summary>Counts an acknowledgement datagram this leader counted.</summary>
    public void AckDatagramCounted() => ackDatagrams.Add(1);

    /// <summary>A Raft request of type <paramref name="message"/> to <paramref name="memberId"/> took <paramref name="elapsed"/>.</summary>
    public void RaftRequestDone(string memberId, string message, TimeSpan elapsed) =>
        raftRpcDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("geoledger.member", memberId), new KeyValuePair<string, object?>("geoledger.raft.message", message));

    /// <summary>Each member's log end as last reported to this node as leader.</summary>
    internal IEnumerable<KeyValuePair<string, long>> MemberProgress => memberProgress;

    /// <summary>Forgets every member's progress: a new leadership starts with none known.</summary>
    internal void ForgetMemberProgress() => memberProgress.Clear();

    private static IEnumerable<Measurement<long>> Observed(long value) =>
        value >= 0 ? [new Measurement<long>(value)] : [];

    internal void ProposalEnded() => proposalsPending.Add(-1);

    /// <summary>A write in flight; disposing it ends it.</summary>
    public readonly struct PendingProposal(LedgerMetrics metrics) : IDisposable
    {
        /// <summary>Ends the write.</summary>
        public void Dispose() => metrics.ProposalEnded();
    }
}
