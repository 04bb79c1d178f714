using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using DotNext.IO;
using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using GeoLedger.Ledger;
using Microsoft.Extensions.Logging;

namespace GeoLedger.Storage;

/// <summary>Settings of a <see cref="LedgerLog"/>.</summary>
public sealed record LedgerLogOptions
{
    /// <summary>The node's data folder: <c>log/</c> (entries), <c>snapshots/</c>, and <c>wal/</c> (.NEXT's term and vote).</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Applied entries between snapshots.</summary>
    public long SnapshotInterval { get; init; } = 100_000;

    /// <summary>Entries kept in the log behind the newest snapshot, so a follower that lags a little gets entries, not a whole snapshot.</summary>
    public long CatchUpEntries { get; init; } = 10_000;

    /// <summary>
    /// Payload bytes in one AppendEntries, at most (at least one entry is always sent). .NEXT 6.12 sends
    /// everything from a follower's next index in one request, which for a follower far behind cannot
    /// finish within any sane timeout; capped, each request is short and catch-up always progresses.
    /// </summary>
    public long ReplicationBatchBytes { get; init; } = 1024 * 1024;

    /// <summary>
    /// Followers flush appended entries before they acknowledge them. Only a test turns this off, to
    /// show that the durability test catches the loss it guards against.
    /// </summary>
    public bool FlushBeforeAcknowledging { get; init; } = true;

    /// <summary>
    /// The leader commits only what a true majority holds durably, in its own term. Only a test turns
    /// this off (leaving .NEXT's own rule), to show that the commit-rule test catches it.
    /// </summary>
    public bool MajorityCommitRule { get; init; } = true;

    /// <summary>Test only: a pause before a follower appends what the leader sent, to make it acknowledge last.</summary>
    public TimeSpan FollowerAppendDelay { get; init; }

    /// <summary>Test only: members (<see cref="ReplicationProbe.MemberKey"/>) sent one entry per AppendEntries, so that they lag behind the others.</summary>
    public IReadOnlySet<string> OneEntryPerRequestTo { get; init; } = new HashSet<string>();

    /// <summary>Test only: a pause before a follower answers its first snapshot install, so that the leader's request times out.</summary>
    public TimeSpan FirstSnapshotAnswerDelay { get; init; }

    /// <summary>The log's segment files.</summary>
    public SegmentedLogOptions Segments { get; init; } = new();
}

/// <summary>
/// GeoLedger's Raft log, as .NEXT sees it. .NEXT 6.12 reaches its log only through
/// <see cref="IAuditTrail{T}"/> and <see cref="IAuditTrail"/> (and <see cref="IPersistentState"/>
/// for the term and vote, which .NEXT's <see cref="WriteAheadLog"/> keeps, in <c>wal/</c>).
/// This subclass re-implements both log interfaces, so every append, read, commit and apply .NEXT
/// makes lands here, on GeoLedger's own storage (<see cref="SegmentedLog"/>, <see cref="SnapshotFiles"/>)
/// and state machine. What it changes from .NEXT's own log:
/// <list type="bullet">
/// <item>Followers answer AppendEntries and InstallSnapshot only once the entries (the snapshot) are on disk.</item>
/// <item>The leader's flush starts when it appends and runs beside replication; one flush covers every entry appended meanwhile.</item>
/// <item>The leader commits the largest index of its own term that a true majority holds durably (its own flushed copy included), for any cluster size.</item>
/// <item>A leader append is refused unless this node leads the entry's term (.NEXT may tag an entry with a term it just took from a newer leader).</item>
/// <item>A follower also commits on the leader's commit notice (<see cref="GeoLedger.Cluster.CommitNotices"/>), not only on AppendEntries.</item>
/// <item>Replication reads are capped in bytes, so catch-up always progresses; a member that did not answer its last request is sent one entry until it answers.</item>
/// <item>Snapshots are written in the background from an immutable version of the store; applying goes on.</item>
/// </list>
/// Code must not call log members through a <see cref="WriteAheadLog"/>-typed reference: those reach .NEXT's unused storage.
/// </summary>
public sealed class LedgerLog : WriteAheadLog, IAuditTrail<IRaftLogEntry>, IAuditTrail
{
    private readonly LedgerLogOptions options;
    private readonly LedgerStateMachine machine;
    private readonly ILogger logger;
    private readonly SegmentedLog log;
    private readonly SnapshotFiles snapshots;
    private readonly CommitHint commitHint;
    private long hintedCommit;
    private long hintWritten;
    private readonly CommitTracker tracker = new();
    private readonly ConcurrentDictionary<long, object> contexts = new();
    private readonly ConditionalWeakTable<object, ReplicationTarget> targets = new(); // .NEXT's replication of a member (one per member and term) -> what the log knows of it
    private readonly Lock appendGate = new();
    private readonly Lock commitGate = new();
    private readonly SemaphoreSlim applyGate = new(1, 1);
    private readonly CancellationTokenSource lifetime = new();
    private readonly Task applier;
    private TaskCompletionSource applyNeeded = NewSignal();
    private TaskCompletionSource applied = NewSignal();
    private volatile SnapshotFile? snapshot;
    private volatile SnapshotFile? pendingRestore;
    private Task snapshotWriter = Task.CompletedTask;
    private const long SnapshotRetryMilliseconds = 10_000;
    private long snapshotFailedAt = long.MinValue / 2; // Environment.TickCount64 of the last failed snapshot
    private long commitIndex;
    private long compactedThrough; // entries up to here are served as the snapshot, even while their segment file remains
    private long appliedIndex;
    private FollowerAppend? lastFollowerAppend;
    private long leaderTerm; // the term this node last became leader in (its no-op's term); guarded by appendGate
    private int heartbeatsOnTheWire; // .NEXT's heartbeats sent and not answered yet (this node as leader)
    private CommitNotice? pendingNotice; // a commit notice for an entry not appended yet; guarded by appendGate
    private volatile Exception? applyFailure;
    private int stopped;
    private int snapshotsInstalled;

    /// <summary>Opens the log in <c>options.DataDirectory</c>: restores the newest snapshot, then recovers the log after it.</summary>
    /// <exception cref="SnapshotCorruptedException">The newest snapshot is damaged.</exception>
    /// <exception cref="LogDamagedException">The log is damaged.</exception>
    public LedgerLog(LedgerLogOptions options, LedgerStateMachine machine, ILogger<LedgerLog> logger)
        : base(DotNextOptions(options.DataDirectory), new InertStateMachine())
    {
        this.options = options;
        this.machine = machine;
        this.logger = logger;
        try
        {
            snapshots = new SnapshotFiles(Path.Combine(options.DataDirectory, "snapshots"));
            if (snapshots.Newest() is { } newest)
            {
                var content = SnapshotFormat.Read(newest.Path, newest.Index, newest.Term);
                machine.Restore(content, Path.GetFileName(newest.Path));
                snapshot = newest with { Index = content.Index, Term = content.Term };
            }

            var snapshotIndex = snapshot?.Index ?? 0;
            log = SegmentedLog.Open(Path.Combine(options.DataDirectory, "log"), snapshotIndex, options.Segments, logger);
            commitHint = new CommitHint(Path.Combine(options.DataDirectory, "log"));
            commitIndex = appliedIndex = snapshotIndex;
            ImportPreviousFormat(snapshotIndex);
            commitIndex = hintedCommit = Math.Max(commitIndex, Math.Min(commitHint.Read(), log.LastIndex));
        }
        catch
        {
            Dispose(); // .NEXT's log opened its files already
            throw;
        }

        log.Flushed = _ => TryAdvanceLeaderCommit();
        applier = Task.Run(ApplyLoopAsync);
    }

    /// <summary>The Raft addresses (<see cref="ReplicationProbe.MemberKey"/>) of the voting members, this node included; set once the cluster exists.</summary>
    public Func<IReadOnlyList<string?>>? Members { get; set; }

    /// <summary>
    /// Drops the acknowledgements of everyone not in <paramref name="members"/> (called when the member list changes):
    /// a member removed and later added back with an empty disk must count only with what it acknowledges again.
    /// </summary>
    public void ForgetAcknowledgementsOfOthers(IReadOnlyList<string?> members) => tracker.Retain(members);

    /// <summary>
    /// Called when this node, as leader, committed everything in its log: .NEXT's next round may be a heartbeat away,
    /// so followers are told at once (<see cref="AcceptCommitNotice"/>). Must return quickly (it runs on the commit path).
    /// </summary>
    public Action? CommitNoticeDue { get; set; }

    /// <summary>What a commit notice tells followers now: this node's term, its commit index and the term of that entry.</summary>
    public CommitNotice CurrentCommitNotice()
    {
        var index = CommitIndex;
        return new CommitNotice(((IPersistentState)this).Term, index, TermAt(index) ?? 0);
    }

    /// <summary>
    /// Called when this node, as leader, appended an entry while .NEXT's heartbeat to some member was unanswered (or
    /// sent such a heartbeat with entries already waiting): those entries are pushed to it (<see cref="GeoLedger.Cluster.EntryPush"/>).
    /// Must return quickly (it runs under the append gate).
    /// </summary>
    public Action? PushDue { get; set; }

    /// <summary>The members (<see cref="ReplicationProbe.MemberKey"/>) with an unanswered heartbeat from .NEXT.</summary>
    public List<string> HeartbeatsOnTheWire() => UnansweredHeartbeats().Select(h => h.Member).ToList();

    /// <summary>The index .NEXT's unanswered heartbeat to <paramref name="member"/> matched it at; null when none is on the wire.</summary>
    public long? HeartbeatOnTheWire(string member) =>
        UnansweredHeartbeats().Where(h => h.Member == member).Select(h => (long?)h.Matched).FirstOrDefault();

    // .NEXT's heartbeats sent and not answered yet: to whom, and the index each matched that member's log at.
    private IEnumerable<(string Member, long Matched)> UnansweredHeartbeats()
    {
        if (Volatile.Read(ref heartbeatsOnTheWire) == 0)
            yield break;
        foreach (var (_, target) in targets)
        {
            if (Volatile.Read(ref target.HeartbeatPrev) is var matched and >= 0 && target.Member is { } member)
                yield return (member, matched);
        }
    }

    /// <summary>
    /// What to push to a member whose log matches this one up to <paramref name="matched"/>: the entries after it, up to
    /// <paramref name="maxBytes"/> (at least one), with the term of the entry at <paramref name="matched"/>. Null unless
    /// this node leads the current term and every entry to push is an ordinary entry of that term.
    /// </summary>
    public EntryPushBatch? ReadForPush(long matched, long maxBytes)
    {
        long term;
        lock (appendGate)
            term = leaderTerm;
        if (term == 0 || term != ((IPersistentState)this).Term || matched >= log.LastIndex || matched < log.FirstIndex - 1)
            return null;
        if (TermAt(matched) is not { } matchedTerm)
            return null;
        var stored = new List<StoredEntry>();
        log.Read(matched + 1, log.LastIndex, maxBytes, stored);
        // Older terms' entries and membership changes are left to .NEXT (it sends configurations beside the entries).
        if (stored.Count == 0 || stored[0].Index != matched + 1 || stored.Exists(e => e.Term != term || (e.Flags & LogEntryFlags.Configuration) != 0))
            return null;
        return new EntryPushBatch(term, matched, matchedTerm, stored.ConvertAll(e => new LogEntryInput(e.Term, e.Flags, e.CommandId, e.Payload)));
    }

    /// <summary>A member acknowledged a push: its log matches this one durably up to <paramref name="index"/> (of <paramref name="term"/>).</summary>
    public void RecordPushAcknowledgement(string member, long index, long term)
    {
        if (RecordAcknowledgement(member, index, term))
            Interlocked.Increment(ref Calls.PushAcknowledgement);
    }

    /// <summary>
    /// A member's acknowledgement datagram (<see cref="GeoLedger.Cluster.AckDatagram"/>): in <paramref name="term"/> it holds
    /// this leader's entry <paramref name="index"/> durably. Counted only from a voting member, while this node leads that
    /// term and holds an entry of that term at that index; false when it is not counted.
    /// </summary>
    public bool RecordAckDatagram(string member, long term, long index)
    {
        if (Members?.Invoke() is not { } members || member == Self || !members.Contains(member))
            return false;
        lock (appendGate)
        {
            if (leaderTerm != term)
                return false;
        }

        if (!RecordAcknowledgement(member, index, term))
            return false;
        Interlocked.Increment(ref Calls.AckDatagram);
        return true;
    }

    private bool RecordAcknowledgement(string member, long index, long term)
    {
        if (term != ((IPersistentState)this).Term || TermAt(index) != term)
            return false;
        tracker.Record(member, index, term);
        TryAdvanceLeaderCommit();
        return true;
    }

    /// <summary>
    /// Called when this node, as a follower in a term, holds durably the entries up to an index that the leader of that
    /// term sent (the entry at the index is of that term): (term, index). Runs on the appending thread; must return quickly.
    /// </summary>
    public Action<long, long>? DurableForLeader { get; set; }

    // After a follower's flush: tells the leader at once when the term did not move since the entries came (as a push's answer).
    private void AcknowledgeDurable(long term, long index)
    {
        if (DurableForLeader is { } acknowledged && index > 0 && ((IPersistentState)this).Term == term && TermAt(index) == term)
            acknowledged(term, index);
    }

    /// <summary>
    /// A follower's side of a push (<see cref="GeoLedger.Cluster.EntryPush"/>): the leader of <paramref name="term"/> sends
    /// entries of that term following <paramref name="prevIndex"/> (of <paramref name="prevTerm"/>). They are appended
    /// when this node is in that term and its log holds the previous entry, as an AppendEntries would be, and true is
    /// answered once they are on disk, if the term is still the same. That last check is what keeps an acknowledgement
    /// safe without .NEXT's lock: .NEXT moves to a newer term before it votes in it, so if the term has not moved after
    /// the append, any vote this node gives later sees these entries; if it moved, this node may have voted for a
    /// candidate without them, and it does not acknowledge them (the leader's .NEXT replication decides then).
    /// </summary>
    public async ValueTask<bool> AcceptPushAsync(long term, long prevIndex, long prevTerm, List<LogEntryInput> entries, CancellationToken token)
    {
        if (entries.Count == 0 || entries.Exists(e => e.Term != term))
            return false;
        lock (appendGate)
        {
            if (((IPersistentState)this).Term != term || prevIndex > log.LastIndex || TermAt(prevIndex) != prevTerm)
                return false;
            try
            {
                AppendFrom(prevIndex + 1, entries); // entries held already are skipped; a conflicting (never committed) suffix is replaced
            }
            catch (InvalidOperationException)
            {
                return false; // it would replace a committed entry: not a push of this term's leader; .NEXT's replication decides
            }
        }

        Interlocked.Increment(ref Calls.PushAccepted);
        var last = prevIndex + entries.Count;
        if (options.FlushBeforeAcknowledging)
        {
            await log.FlushThroughAsync(last, token).ConfigureAwait(false);
            AcknowledgeDurable(term, last);
        }

        return ((IPersistentState)this).Term == term;
    }

    /// <summary>
    /// A follower's side of a commit notice: the leader of <paramref name="term"/> committed <paramref name="index"/>,
    /// whose entry has term <paramref name="entryTerm"/>. A committed entry stays committed whoever leads later, and a
    /// node holding that entry with that term holds the leader's log up to it (Raft's log matching), so it commits it
    /// too, whatever term it is in now (the notice's term is reported, not required: a follower that has not yet heard
    /// of a new leader's term would otherwise drop its first notices). A notice for an entry not appended yet (the
    /// notice overtook the AppendEntries carrying it) is kept and checked again after each append.
    /// </summary>
    public CommitNoticeOutcome AcceptCommitNotice(long term, long index, long entryTerm)
    {
        lock (appendGate) // no suffix is replaced between the check and the commit
        {
            if (index > log.LastIndex)
            {
                if (pendingNotice is not { } kept || kept.Index < index)
                    pendingNotice = new CommitNotice(term, index, entryTerm);
                return CommitNoticeOutcome.Pending;
            }

            return CommitNoticed(new CommitNotice(term, index, entryTerm)) ? CommitNoticeOutcome.Committed : CommitNoticeOutcome.Refused;
        }
    }

    /// <summary>Commits up to <paramref name="notice"/>'s index if this log holds its entry with its term; the caller holds appendGate.</summary>
    private bool CommitNoticed(CommitNotice notice)
    {
        if (notice.Index <= CommitIndex)
            return true;
        if (TermAt(notice.Index) != notice.EntryTerm)
            return false;
        Interlocked.Increment(ref Calls.CommitNotice);
        AdvanceCommit(notice.Index);
        return true;
    }

    /// <summary>After a follower append: a kept notice whose entry has now arrived commits it (or is dropped when it cannot).</summary>
    private void CheckPendingNotice()
    {
        if (pendingNotice is not { } notice || notice.Index > log.LastIndex)
            return;
        pendingNotice = null;
        CommitNoticed(notice);
    }

    /// <summary>This node's Raft address key (<see cref="ReplicationProbe.MemberKey"/>).</summary>
    public string Self { get; set; } = "self";

    /// <summary>Index of the last entry in the log.</summary>
    public long LastIndex => log.LastIndex;

    /// <summary>Index of the last entry this node knows committed.</summary>
    public long CommitIndex => Interlocked.Read(ref commitIndex);

    /// <summary>Bytes of recently appended payloads the log reads from memory (a leader's own writes).</summary>
    internal long RetainedBytes => log.RetainedBytes;

    /// <summary>Index of the last entry applied to the store.</summary>
    public long AppliedIndex => Interlocked.Read(ref appliedIndex);

    /// <summary>Every entry up to here is on this node's disk.</summary>
    public long DurableIndex => log.DurableIndex;

    /// <summary>The newest snapshot, or null.</summary>
    public SnapshotFile? Snapshot => snapshot;

    /// <summary>The state machine entries are applied to.</summary>
    public LedgerStateMachine Machine => machine;

    /// <summary>Set by tests: counts of the calls .NEXT made into each intercepted member.</summary>
    public LogCallCounts Calls { get; } = new();

    /// <summary>Acknowledged index per member (this node as leader).</summary>
    public IReadOnlyDictionary<string, long> Acknowledged => tracker.Snapshot();

    /// <summary>The underlying storage's flush timings.</summary>
    public Action<TimeSpan>? FlushTimed
    {
        set => log.FlushTimed = value;
    }

    /// <summary>Called when a snapshot this node wrote is published: how long it took and its size in bytes.</summary>
    public Action<TimeSpan, long>? SnapshotPublished { get; set; }

    /// <summary>Called on the applier after each applied batch, restore or install (for metrics).</summary>
    public Action? Applied { get; set; }

    /// <summary>Completes once the snapshot being written in the background (if any) is published.</summary>
    public Task SnapshotWritten => Volatile.Read(ref snapshotWriter);

    // The public members of .NEXT's log that would reach its own (unused) storage are hidden here, so that a
    // LedgerLog-typed call lands on this log too; the interfaces are implemented by the same members.

    /// <summary>Index of the last entry in the log.</summary>
    public new long LastEntryIndex => log.LastIndex;

    /// <summary>Index of the last entry this node knows committed.</summary>
    public new long LastCommittedEntryIndex => CommitIndex;

    /// <summary>Index of the last entry applied to the store.</summary>
    public new long LastAppliedIndex => AppliedIndex;

    bool IAuditTrail.IsLogEntryLengthAlwaysPresented => true;

    long IAuditTrail.LastEntryIndex => LastEntryIndex;

    long IAuditTrail.LastCommittedEntryIndex => LastCommittedEntryIndex;

    /// <summary>Completes once everything known committed at start is applied (.NEXT calls it before it serves).</summary>
    public override Task InitializeAsync(CancellationToken token = default)
    {
        Interlocked.Increment(ref Calls.Initialize);
        return WaitForAppliedAsync(CommitIndex, token).AsTask();
    }

    Task IAuditTrail.InitializeAsync(CancellationToken token) => InitializeAsync(token);

    /// <summary>Completes at the next apply.</summary>
    public new ValueTask WaitForApplyAsync(CancellationToken token = default)
    {
        Interlocked.Increment(ref Calls.WaitForApply);
        var signal = Volatile.Read(ref applied);
        return applyFailure is { } e ? ValueTask.FromException(e) : new ValueTask(signal.Task.WaitAsync(token));
    }

    ValueTask IAuditTrail.WaitForApplyAsync(CancellationToken token) => WaitForApplyAsync(token);

    /// <summary>Completes once entry <paramref name="index"/> is applied.</summary>
    public new ValueTask WaitForApplyAsync(long index, CancellationToken token = default)
    {
        Interlocked.Increment(ref Calls.WaitForApply);
        return WaitForAppliedAsync(index, token);
    }

    ValueTask IAuditTrail.WaitForApplyAsync(long index, CancellationToken token) => WaitForApplyAsync(index, token);

    /// <summary>Completes once every entry appended so far is on disk.</summary>
    public new Task FlushAsync(CancellationToken token = default) => log.WaitForDurableAsync(log.LastIndex, token).AsTask();

    /// <summary>Not supported: .NEXT's reader type belongs to its own storage.</summary>
    [Obsolete("GeoLedger's log has no LogEntryReader; read through IAuditTrail<IRaftLogEntry>.ReadAsync.", error: true)]
    public new ValueTask<LogEntryReader> ReadAsync(long startIndex, long endIndex, CancellationToken token = default) =>
        throw new NotSupportedException("GeoLedger's log has no LogEntryReader");

    /// <summary>Not supported: a log of the previous format is imported when the log is opened.</summary>
    [Obsolete("GeoLedger imports .NEXT's log when it opens.", error: true)]
    public new Task ImportAsync(WriteAheadLog other, CancellationToken token) => throw new NotSupportedException("GeoLedger imports .NEXT's log when it opens");

    /// <summary>
    /// Commits: for a follower, what the leader said, up to what the last AppendEntries matched; for the
    /// leader, whatever the majority rule allows (.NEXT's proposed index is not trusted).
    /// </summary>
    public new ValueTask<long> CommitAsync(long endIndex, CancellationToken token = default)
    {
        Interlocked.Increment(ref Calls.Commit);
        var before = CommitIndex;
        if (Interlocked.Exchange(ref lastFollowerAppend, null) is { } append && append.Term == ((IPersistentState)this).Term)
        {
            var bound = append.Last;
            // A follower, right after appending what the leader sent: the leader's commit index is safe up to what matched.
            AdvanceCommit(Math.Min(Math.Min(endIndex, bound), log.LastIndex));
        }
        else if (options.MajorityCommitRule)
        {
            TryAdvanceLeaderCommit();
        }
        else
        {
            AdvanceCommit(Math.Min(endIndex, log.LastIndex)); // .NEXT's own rule (tests only)
        }

        return ValueTask.FromResult(CommitIndex - before);
    }

    ValueTask<long> IAuditTrail.CommitAsync(long endIndex, CancellationToken token) => CommitAsync(endIndex, token);

    ValueTask<TResult> IAuditTrail.ReadAsync<TResult>(ILogEntryConsumer<ILogEntry, TResult> reader, long startIndex, long endIndex, CancellationToken token) =>
        ReadAsync(reader, startIndex, endIndex, token);

    ValueTask<TResult> IAuditTrail<IRaftLogEntry>.ReadAsync<TResult>(ILogEntryConsumer<IRaftLogEntry, TResult> reader, long startIndex, long endIndex, CancellationToken token) =>
        ReadAsync(reader, startIndex, endIndex, token);

    /// <summary>Reads entries for <paramref name="reader"/>; a replication read is capped in bytes and its acknowledgement recorded.</summary>
    public new ValueTask<TResult> ReadAsync<TResult>(ILogEntryConsumer<IRaftLogEntry, TResult> reader, long startIndex, long endIndex, CancellationToken token = default)
    {
        Interlocked.Increment(ref Calls.Read);
        if (startIndex < 0)
            return ValueTask.FromException<TResult>(new ArgumentOutOfRangeException(nameof(startIndex)));
        if (endIndex < 0 || endIndex > log.LastIndex)
            return ValueTask.FromException<TResult>(new ArgumentOutOfRangeException(nameof(endIndex)));
        var list = new List<LogEntryView>();
        long? snapshotIndex = null;
        var target = typeof(TResult) == typeof(Result<ReplicationStatus>) ? targets.GetOrCreateValue(reader) : null;
        if (startIndex > endIndex)
        {
            // A heartbeat: nothing to send, and its answer confirms the member matches up to startIndex - 1.
        }
        else if (reader.LogEntryMetadataOnly && startIndex >= log.FirstIndex)
        {
            // Terms are read from the log while it still holds the entries (.NEXT reads the term of the entry before a batch).
            for (var index = startIndex; index <= endIndex; index++)
                list.Add(LogEntryView.MetadataOnly(index, TermAt(index) ?? throw new ArgumentOutOfRangeException(nameof(startIndex))));
        }
        else if ((startIndex < log.FirstIndex || startIndex <= Interlocked.Read(ref compactedThrough)) && snapshot is { } current && startIndex <= current.Index)
        {
            list.Add(LogEntryView.Snapshot(current));
            snapshotIndex = current.Index;
        }
        else
        {
            var stored = new List<StoredEntry>();
            var limit = long.MaxValue;
            if (target is not null)
            {
                limit = options.ReplicationBatchBytes;
                if (target.LastSendFailed)
                {
                    // The member did not answer the last request (it is down, or unreachable): probe it with one
                    // entry. Reading everything it lacks (up to a full batch) on every round, only to have the
                    // send fail, made a leader with a dead follower allocate 98 KB per write instead of 12.
                    limit = 0;
                    Interlocked.Increment(ref Calls.ProbeOfUnansweredMember);
                }

                if (options.OneEntryPerRequestTo.Count > 0 && target.Member is { } member && options.OneEntryPerRequestTo.Contains(member))
                    endIndex = startIndex;
            }

            log.Read(startIndex, endIndex, limit, stored);
            foreach (var entry in stored)
                list.Add(LogEntryView.Of(entry));
        }

        if (target is null)
            return reader.ReadAsync<LogEntryView, List<LogEntryView>>(list, snapshotIndex, token);
        Interlocked.Increment(ref Calls.ReplicationRead);
        Interlocked.Add(ref Calls.ReplicationEntries, list.Count);
        return ReplicateAsync(reader, target, list, startIndex, snapshotIndex, token);
    }

    /// <summary>Hands entries to .NEXT's replication of one member and records what the member acknowledged.</summary>
    private async ValueTask<TResult> ReplicateAsync<TResult>(ILogEntryConsumer<IRaftLogEntry, TResult> reader, ReplicationTarget target, List<LogEntryView> list, long startIndex, long? snapshotIndex, CancellationToken token)
    {
        var probe = ReplicationProbe.Start();
        var heartbeat = list.Count == 0 && snapshotIndex is null && target.Member is not null;
        if (heartbeat)
        {
            // Until its answer, .NEXT sends this member nothing else: entries appended meanwhile are pushed (EntryPush).
            Volatile.Write(ref target.HeartbeatPrev, startIndex - 1);
            Interlocked.Increment(ref heartbeatsOnTheWire);
            if (log.LastIndex >= startIndex)
                PushDue?.Invoke();
        }

        TResult result;
        try
        {
            result = await reader.ReadAsync<LogEntryView, List<LogEntryView>>(list, snapshotIndex, token).ConfigureAwait(false);
            target.LastSendFailed = false;
        }
        catch
        {
            target.LastSendFailed = true;
            throw;
        }
        finally
        {
            ReplicationProbe.Stop();
            target.Member = probe.Member ?? target.Member;
            if (heartbeat)
            {
                Volatile.Write(ref target.HeartbeatPrev, -1);
                Interlocked.Decrement(ref heartbeatsOnTheWire);
            }
        }

        var status = (Result<ReplicationStatus>)(object)result!;
        if (snapshotIndex is { } installed && status.Value.Result == HeartbeatResult.Rejected && status.Term <= ((IPersistentState)this).Term)
        {
            // .NEXT's follower refuses a snapshot it already has (its commit index reached the snapshot's index: a
            // retry after the answer to an install was lost), and .NEXT's leader then moves the follower's next index
            // back and sends the snapshot again, forever. The member holds everything up to the snapshot: go on after it.
            Interlocked.Increment(ref Calls.SnapshotAlreadyHeld);
            status = new Result<ReplicationStatus> { Term = status.Term, Value = new ReplicationStatus { Result = HeartbeatResult.Replicated, LastIndex = installed } };
            result = (TResult)(object)status;
        }

        if (probe.Member is { } member && status.Value.Result is HeartbeatResult.Replicated or HeartbeatResult.ReplicatedWithLeaderTerm)
        {
            // The member's log now matches this one up to the last entry sent (the entry before the first, for a heartbeat).
            var matched = snapshotIndex ?? startIndex + list.Count - 1;
            var term = snapshotIndex is not null ? list[0].Term : list.Count > 0 ? list[^1].Term : TermAt(matched);
            if (term is { } t)
            {
                Interlocked.Increment(ref Calls.Acknowledgement);
                tracker.Record(member, matched, t);
                TryAdvanceLeaderCommit();
            }
        }

        return result;
    }

    ValueTask<long> IAuditTrail<IRaftLogEntry>.AppendAsync<TEntry>(TEntry entry, CancellationToken token) => AppendAsync(entry, token);

    /// <summary>The leader appends an entry at the end; its flush starts now and runs beside replication.</summary>
    public new ValueTask<long> AppendAsync<TEntry>(TEntry entry, CancellationToken token = default)
        where TEntry : IRaftLogEntry
    {
        Interlocked.Increment(ref Calls.LeaderAppend);
        if (entry.IsSnapshot)
            return ValueTask.FromException<long>(new InvalidOperationException("a snapshot cannot be appended at the end of the log"));
        if (!entry.TryGetMemory(out var payload))
            return AppendBufferedAsync(entry, token);
        return ValueTask.FromResult(AppendAtEnd(entry, payload, copied: false));

        async ValueTask<long> AppendBufferedAsync(TEntry e, CancellationToken t) =>
            AppendAtEnd(e, await e.ToByteArrayAsync(null, t).ConfigureAwait(false), copied: true);
    }

    /// <summary>
    /// The leader appends a new entry; its flush starts now and runs beside replication. A payload no one changes or
    /// reuses is kept in memory for replication and apply: a <paramref name="copied"/> one, or a write's (the array its
    /// LedgerWriter encoded and handed over for good, recognized by its <see cref="WriteContext"/>).
    /// </summary>
    private long AppendAtEnd<TEntry>(TEntry entry, ReadOnlyMemory<byte> payload, bool copied)
        where TEntry : IRaftLogEntry
    {
        var input = InputOf(entry, payload);
        lock (appendGate)
        {
            CheckLeaderOfTerm(entry);
            var index = log.LastIndex + 1;
            var context = entry is IInputLogEntry { Context: { } c } ? c : null;
            if (context is not null)
                contexts[index] = context;
            try
            {
                log.Append(index, [input], retain: copied || context is WriteContext);
                Telemetry.LedgerTracing.Step("appended", index);
            }
            catch
            {
                contexts.TryRemove(index, out _);
                throw;
            }

            if (Volatile.Read(ref heartbeatsOnTheWire) > 0)
                PushDue?.Invoke();
            return index;
        }
    }

    /// <summary>
    /// Refuses a leader append unless this node leads the entry's term: a new leader's first entry (.NEXT's
    /// no-op, appended by the winning candidate) must carry the current term and starts the leadership;
    /// every later entry must carry that same term, still current. See <see cref="NotLeaderOfTermException"/>.
    /// </summary>
    private void CheckLeaderOfTerm<TEntry>(TEntry entry)
        where TEntry : IRaftLogEntry
    {
        var current = ((IPersistentState)this).Term;
        if (entry.Term == current && typeof(TEntry) == typeof(EmptyLogEntry))
            leaderTerm = current;
        else if (entry.Term != current || entry.Term != leaderTerm)
            throw new NotLeaderOfTermException(entry.Term, current, leaderTerm);
    }

    ValueTask IAuditTrail<IRaftLogEntry>.AppendAsync<TEntry>(ILogEntryProducer<TEntry> entries, long startIndex, bool skipCommitted, CancellationToken token) =>
        AppendAsync(entries, startIndex, skipCommitted, token);

    /// <summary>A follower appends what the leader sent, replacing a conflicting suffix, and returns once it is on disk.</summary>
    public new async ValueTask AppendAsync<TEntry>(ILogEntryProducer<TEntry> entries, long startIndex, bool skipCommitted = false, CancellationToken token = default)
        where TEntry : IRaftLogEntry
    {
        Interlocked.Increment(ref Calls.FollowerAppend);
        var term = ((IPersistentState)this).Term; // .NEXT appends for the leader of this term (it moved to it before)
        if (startIndex > log.LastIndex + 1)
            throw new ArgumentOutOfRangeException(nameof(startIndex), startIndex, $"the log ends at {log.LastIndex}");
        if (options.FollowerAppendDelay > TimeSpan.Zero && entries.RemainingCount > 0)
            await Task.Delay(options.FollowerAppendDelay, token).ConfigureAwait(false);
        var inputs = new List<LogEntryInput>();
        var firstNew = 0L;
        var index = startIndex;
        while (await entries.MoveNextAsync().ConfigureAwait(false))
        {
            var entry = entries.Current;
            if (entry.IsSnapshot)
                throw new InvalidOperationException("a snapshot cannot be appended among entries");
            if (firstNew == 0)
            {
                if (index <= CommitIndex)
                {
                    if (!skipCommitted)
                        throw new InvalidOperationException($"entry {index} is committed and cannot be replaced");
                    index++;
                    continue;
                }

                if (index <= log.LastIndex && TermAt(index) == entry.Term)
                {
                    index++; // already held: by log matching, everything before it matches too
                    continue;
                }

                firstNew = index;
            }

            inputs.Add(InputOf(entry, entry.TryGetMemory(out var memory) ? memory : await entry.ToByteArrayAsync(null, token).ConfigureAwait(false)));
            index++;
        }

        if (firstNew > 0)
            AppendFrom(firstNew, inputs);

        var last = index - 1;
        Volatile.Write(ref lastFollowerAppend, new FollowerAppend(last, ((IPersistentState)this).Term));
        if (options.FlushBeforeAcknowledging)
        {
            await log.FlushThroughAsync(last, token).ConfigureAwait(false);
            if (last >= startIndex)
                AcknowledgeDurable(term, last); // not for a heartbeat: it brought nothing new
        }
    }

    ValueTask IAuditTrail<IRaftLogEntry>.AppendAsync<TEntry>(TEntry entry, long startIndex, CancellationToken token) => AppendAsync(entry, startIndex, token);

    /// <summary>Installs a snapshot at <paramref name="startIndex"/>, or writes one entry there (replacing a conflicting suffix); returns once on disk.</summary>
    public new async ValueTask AppendAsync<TEntry>(TEntry entry, long startIndex, CancellationToken token = default)
        where TEntry : IRaftLogEntry
    {
        if (entry.IsSnapshot)
        {
            Interlocked.Increment(ref Calls.SnapshotInstall);
            await InstallSnapshotAsync(entry, startIndex, token).ConfigureAwait(false);
            return;
        }

        Interlocked.Increment(ref Calls.FollowerAppend);
        if (startIndex > log.LastIndex + 1)
            throw new ArgumentOutOfRangeException(nameof(startIndex), startIndex, $"the log ends at {log.LastIndex}");
        if (startIndex <= CommitIndex)
            throw new InvalidOperationException($"entry {startIndex} is committed and cannot be replaced");
        var term = ((IPersistentState)this).Term;
        if (startIndex > log.LastIndex || TermAt(startIndex) != entry.Term)
            AppendFrom(startIndex, [InputOf(entry, entry.TryGetMemory(out var memory) ? memory : await entry.ToByteArrayAsync(null, token).ConfigureAwait(false))]);
        if (options.FlushBeforeAcknowledging)
        {
            await log.FlushThroughAsync(startIndex, token).ConfigureAwait(false);
            AcknowledgeDurable(term, startIndex);
        }
    }

    /// <summary>
    /// Writes entries from <paramref name="firstIndex"/>: those the log already holds with the same term are skipped, and
    /// from the first that differs the log's suffix is replaced (a conflict: Raft's truncation). The check is made again
    /// under the append gate because two paths append to a follower (.NEXT's AppendEntries and <see cref="AcceptPushAsync"/>):
    /// an entry one of them appended after the other looked must not be truncated as if it conflicted.
    /// </summary>
    private void AppendFrom(long firstIndex, List<LogEntryInput> inputs)
    {
        lock (appendGate)
        {
            var held = 0;
            while (held < inputs.Count && firstIndex + held <= log.LastIndex && TermAt(firstIndex + held) == inputs[held].Term)
                held++;
            if (held == inputs.Count)
                return;
            if (held > 0)
            {
                firstIndex += held;
                inputs = inputs.GetRange(held, inputs.Count - held);
            }

            if (firstIndex > log.LastIndex + 1)
                throw new ArgumentOutOfRangeException(nameof(firstIndex), firstIndex, $"the log ends at {log.LastIndex}");
            if (firstIndex <= log.LastIndex)
            {
                if (firstIndex <= CommitIndex)
                    throw new InvalidOperationException($"entry {firstIndex} is committed and cannot be replaced");
                LogMessages.LogSuffixReplaced(logger, firstIndex, log.LastIndex, TermAt(firstIndex));
                log.TruncateFrom(firstIndex);
                foreach (var stale in contexts.Keys.Where(k => k >= firstIndex).ToList())
                    contexts.TryRemove(stale, out _);
            }

            // Flushed by the caller on its own thread before it answers (FlushThroughAsync), unless acknowledging first.
            log.Append(firstIndex, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(inputs), flushLater: options.FlushBeforeAcknowledging);
            CheckPendingNotice();
        }
    }

    /// <summary>
    /// Stores the leader's snapshot durably (flushed and published) before answering; the store is
    /// replaced from it by the applier, so the answer does not wait for the state to be rebuilt.
    /// </summary>
    private async Task InstallSnapshotAsync<TEntry>(TEntry entry, long index, CancellationToken token)
        where TEntry : IRaftLogEntry
    {
        if (index <= CommitIndex)
            throw new InvalidOperationException($"a snapshot at {index} is not newer than the commit index {CommitIndex}");
        var started = Stopwatch.GetTimestamp();
        var file = await snapshots.ReceiveAsync(entry, index, token).ConfigureAwait(false);
        await applyGate.WaitAsync(token).ConfigureAwait(false);
        try
        {
            lock (appendGate)
            {
                // Raft §7: keep entries after the snapshot when the log holds its last entry; otherwise the snapshot replaces the whole log.
                var keepsEntries = TermAt(index) == file.Term && log.LastIndex > index;

                // Published before the log moves past it: a term read of an index the log no longer holds (.NEXT's pre-vote
                // reads the last entry's term without a lock) finds the snapshot instead of an empty stretch of log.
                snapshot = file;
                if (keepsEntries)
                {
                    log.CompactThrough(index);
                    InterlockedMax(ref compactedThrough, index);
                }
                else
                {
                    if (log.LastIndex > CommitIndex)
                        LogMessages.LogReplacedBySnapshot(logger, index, file.Term, log.LastIndex, TermAt(index));
                    log.Reset(index + 1);
                    contexts.Clear();
                }
            }

            pendingRestore = file;
            AdvanceCommit(index);
        }
        finally
        {
            applyGate.Release();
        }

        snapshots.DeleteOlderThan(file.Index);
        LogMessages.SnapshotInstalled(logger, Path.GetFileName(file.Path), index, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        if (options.FirstSnapshotAnswerDelay > TimeSpan.Zero && Interlocked.Increment(ref snapshotsInstalled) == 1)
            await Task.Delay(options.FirstSnapshotAnswerDelay, token).ConfigureAwait(false);
    }

    /// <summary>Commits up to the largest index of the current term that a majority of members holds durably.</summary>
    private void TryAdvanceLeaderCommit()
    {
        if (!options.MajorityCommitRule)
            return; // tests only: .NEXT's own rule, through CommitAsync
        if (Members?.Invoke() is not { } members)
            return; // not wired to a cluster yet: no member list, no majority
        var majority = tracker.MajorityIndex(members, Self, log.DurableIndex, TermAt);
        if (majority <= CommitIndex)
            return;

        // Raft §5.4.2: only an entry of the leader's own term is committed by counting copies; earlier ones follow it.
        // A lone member has nobody to disagree with and commits what it flushed.
        if (members.Count == 1 || TermAt(majority) == ((IPersistentState)this).Term)
        {
            AdvanceCommit(majority);
            if (majority >= log.LastIndex && members.Count > 1)
                CommitNoticeDue?.Invoke(); // nothing left to replicate: no round would carry this commit before a heartbeat
        }
    }

    private void AdvanceCommit(long index)
    {
        lock (commitGate)
        {
            if (index <= commitIndex)
                return;
            Interlocked.Exchange(ref commitIndex, index);
        }

        Interlocked.Exchange(ref applyNeeded, NewSignal()).TrySetResult();
    }

    /// <summary>The term of entry <paramref name="index"/>, from the log or the snapshot; null when unknown.</summary>
    public long? TermAt(long index)
    {
        if (index == 0)
            return 0;
        if (log.TryGetTerm(index, out var term))
            return term;
        return snapshot is { } s && s.Index == index ? s.Term : null;
    }

    private async ValueTask WaitForAppliedAsync(long index, CancellationToken token)
    {
        while (true)
        {
            var signal = Volatile.Read(ref applied);
            if (applyFailure is { } e)
                throw new IOException("the state machine stopped applying entries", e);
            if (AppliedIndex >= index)
                return;
            await signal.Task.WaitAsync(token).ConfigureAwait(false);
        }
    }

    /// <summary>Applies committed entries in order, one batch at a time, and starts snapshots when due.</summary>
    private async Task ApplyLoopAsync()
    {
        var token = lifetime.Token;
        var batch = new List<StoredEntry>();
        try
        {
            while (!token.IsCancellationRequested)
            {
                var needed = Volatile.Read(ref applyNeeded);
                if (pendingRestore is null && AppliedIndex >= CommitIndex)
                {
                    await needed.Task.WaitAsync(token).ConfigureAwait(false);
                    continue;
                }

                await applyGate.WaitAsync(token).ConfigureAwait(false);
                try
                {
                    if (pendingRestore is { } file)
                    {
                        pendingRestore = null;
                        var content = SnapshotFormat.Read(file.Path, file.Index, file.Term);
                        machine.Restore(content, Path.GetFileName(file.Path));
                        Interlocked.Exchange(ref appliedIndex, content.Index);
                        SignalApplied();
                    }

                    var target = Math.Min(CommitIndex, log.LastIndex);
                    while (AppliedIndex < target && pendingRestore is null)
                    {
                        batch.Clear();
                        log.Read(AppliedIndex + 1, target, 4 * 1024 * 1024, batch);
                        foreach (var entry in batch)
                        {
                            if ((entry.Flags & LogEntryFlags.Configuration) != 0 && ConfigurationStorage is { } configuration)
                                await configuration.SaveConfigurationAsync(LogEntryView.Of(entry), entry.Index, token).ConfigureAwait(false);
                            contexts.TryRemove(entry.Index, out var context);
                            await machine.ApplyAsync(entry.Index, entry.Flags, entry.Payload, context, token).ConfigureAwait(false);
                        }

                        machine.Publish();
                        Interlocked.Exchange(ref appliedIndex, batch[^1].Index);
                        SignalApplied();
                        StartSnapshotIfDue();
                        HintCommit(force: false);
                    }
                }
                finally
                {
                    applyGate.Release();
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            applyFailure = e;
            LogMessages.ApplyFailed(logger, AppliedIndex + 1, e.Message);
            SignalApplied();
        }
    }

    /// <summary>Stores the commit index as a hint for the next start, at most every 100 ms (or now).</summary>
    private void HintCommit(bool force)
    {
        var now = Environment.TickCount64;
        var commit = CommitIndex;
        if (commit == hintedCommit || (!force && now - hintWritten < 100))
            return;
        try
        {
            commitHint.Write(commit);
            hintedCommit = commit;
            hintWritten = now;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only a hint: a node without it applies after it hears from a leader.
        }
    }

    private void SignalApplied()
    {
        Interlocked.Exchange(ref applied, NewSignal()).TrySetResult();
        Applied?.Invoke();
    }

    /// <summary>Writes a snapshot of the published state in the background when enough entries were applied since the last one.</summary>
    private void StartSnapshotIfDue()
    {
        var index = AppliedIndex;
        var last = snapshot?.Index ?? 0;
        if (index - last < options.SnapshotInterval || !snapshotWriter.IsCompleted || TermAt(index) is not { } term)
            return;
        if (Environment.TickCount64 - Volatile.Read(ref snapshotFailedAt) < SnapshotRetryMilliseconds)
            return; // a full or failing disk: not a new attempt after every entry
        var state = machine.Store.Current;
        snapshotWriter = BackgroundWork.Start("geoledger-snapshot", () => WriteSnapshot(state, index, term));
    }

    private void WriteSnapshot(StoreVersion state, long index, long term)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var file = snapshots.Write(state, index, term, lifetime.Token);
            if (file.Index > (snapshot?.Index ?? 0))
                snapshot = file;
            var compactTo = Math.Max(file.Index - options.CatchUpEntries, 0);
            lock (appendGate)
                log.CompactThrough(compactTo);
            InterlockedMax(ref compactedThrough, compactTo);
            snapshots.DeleteOlderThan(snapshot!.Index);
            SnapshotPublished?.Invoke(Stopwatch.GetElapsedTime(started), new FileInfo(file.Path).Length);
            LogMessages.SnapshotWrittenInBackground(logger, Path.GetFileName(file.Path), index, state.Keys.Count, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OperationCanceledException)
        {
            Volatile.Write(ref snapshotFailedAt, Environment.TickCount64);
            LogMessages.SnapshotFailed(logger, index, e.Message);
        }
    }

    /// <summary>Moves entries of a log kept by .NEXT's own <see cref="WriteAheadLog"/> (GeoLedger before its own log) into this one, once.</summary>
    private void ImportPreviousFormat(long snapshotIndex)
    {
        var previousLast = base.LastEntryIndex;
        if (log.LastIndex != snapshotIndex || previousLast <= snapshotIndex)
            return;
        var reader = base.ReadAsync(snapshotIndex + 1, previousLast).AsTask().GetAwaiter().GetResult();
        try
        {
            var inputs = new List<LogEntryInput>();
            foreach (var entry in reader)
            {
                var payload = ((IDataTransferObject)entry).TryGetMemory(out var memory) ? memory.ToArray() : entry.ToByteArrayAsync().AsTask().GetAwaiter().GetResult();
                inputs.Add(InputOf(entry, payload));
            }

            log.Append(snapshotIndex + 1, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(inputs));
        }
        finally
        {
            reader.Dispose();
        }

        log.WaitForDurableAsync(previousLast, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        commitIndex = Math.Min(base.LastCommittedEntryIndex, previousLast);
        LogMessages.LogImported(logger, previousLast - snapshotIndex, snapshotIndex + 1, previousLast, Path.Combine(options.DataDirectory, "wal"));
    }

    private static LogEntryInput InputOf<TEntry>(TEntry entry, ReadOnlyMemory<byte> payload)
        where TEntry : IRaftLogEntry
    {
        var flags = (entry.IsConfiguration ? LogEntryFlags.Configuration : LogEntryFlags.None) | (entry.CommandId is not null ? LogEntryFlags.HasCommandId : LogEntryFlags.None);
        return new LogEntryInput(entry.Term, flags, entry.CommandId ?? 0, payload);
    }

    private static Options DotNextOptions(string dataDirectory) => new()
    {
        Location = Path.Combine(dataDirectory, "wal"),
        HashAlgorithm = IntegrityHashAlgorithm.XxHash3,
        ChunkSize = 1024 * 1024, // as GeoLedger created it before it had its own log, so that such a log can be imported
    };

    private async ValueTask StopAsync()
    {
        if (Interlocked.Exchange(ref stopped, 1) != 0)
            return;
        lifetime.Cancel();
        if (applier is not null)
            await applier.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await Volatile.Read(ref snapshotWriter).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (log is not null && commitHint is not null)
            HintCommit(force: true);
        log?.Dispose();
        lifetime.Dispose();
    }

    /// <inheritdoc/>
    protected override async ValueTask DisposeAsyncCore()
    {
        await StopAsync().ConfigureAwait(false);
        await base.DisposeAsyncCore().ConfigureAwait(false);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
            StopAsync().AsTask().GetAwaiter().GetResult();
        base.Dispose(disposing);
    }

    private static void InterlockedMax(ref long location, long value)
    {
        var current = Interlocked.Read(ref location);
        while (value > current && Interlocked.CompareExchange(ref location, value, current) is var seen && seen != current)
            current = seen;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// What the last AppendEntries matched, for the commit .NEXT makes right after it. Tied to the term:
    /// a follower of term T cannot lead in T, so a later leader's commit never takes it for its own.
    /// </summary>
    private sealed record FollowerAppend(long Last, long Term);

    /// <summary>The state machine .NEXT's own log is built with: it never gets an entry (this log applies its own).</summary>
    private sealed class InertStateMachine : IStateMachine
    {
        public ISnapshot? Snapshot => null;

        public ValueTask<long> ApplyAsync(LogEntry entry, CancellationToken token) => ValueTask.FromResult(entry.Index);

        public ValueTask ReclaimGarbageAsync(long watermark, CancellationToken token) => ValueTask.CompletedTask;
    }
}

/// <summary>How often .NEXT called each member of the log since it was opened (for the interception tests).</summary>
public sealed class LogCallCounts
{
    /// <summary>Leader appends (a client write or a no-op).</summary>
    public long LeaderAppend;

    /// <summary>Follower appends (AppendEntries).</summary>
    public long FollowerAppend;

    /// <summary>Snapshot installs.</summary>
    public long SnapshotInstall;

    /// <summary>Commit calls.</summary>
    public long Commit;

    /// <summary>Reads of any kind.</summary>
    public long Read;

    /// <summary>Reads made by .NEXT's replication of a member.</summary>
    public long ReplicationRead;

    /// <summary>Replication reads the member acknowledged, attributed to it.</summary>
    public long Acknowledgement;

    /// <summary>Pushes a member acknowledged (this node as leader).</summary>
    public long PushAcknowledgement;

    /// <summary>Pushes this follower appended (or already held).</summary>
    public long PushAccepted;

    /// <summary>Acknowledgement datagrams this node counted as leader.</summary>
    public long AckDatagram;

    /// <summary>Commit notices that advanced this follower's commit index.</summary>
    public long CommitNotice;

    /// <summary>Replication reads cut to one entry because the member did not answer the previous request.</summary>
    public long ProbeOfUnansweredMember;

    /// <summary>Entries handed to .NEXT's replication (a snapshot counts as one).</summary>
    public long ReplicationEntries;

    /// <summary>Snapshot sends refused because the member already had the snapshot (turned into success).</summary>
    public long SnapshotAlreadyHeld;

    /// <summary>Waits for an apply.</summary>
    public long WaitForApply;

    /// <summary>Initialize calls.</summary>
    public long Initialize;
}

/// <summary>A leader's commit as a commit notice carries it: its term, its commit index, and the term of the entry there.</summary>
public readonly record struct CommitNotice(long Term, long Index, long EntryTerm);

/// <summary>What a follower did with a commit notice.</summary>
public enum CommitNoticeOutcome
{
    /// <summary>It committed up to the notice's index (or had already).</summary>
    Committed,

    /// <summary>It lacks the entry yet: the notice is kept and applied when the entry is appended.</summary>
    Pending,

    /// <summary>Its entry there has another term (its log differs from the leader's there): nothing changed.</summary>
    Refused,
}

/// <summary>What the log knows of one of .NEXT's replications of a member: the member, once a request named it, and whether its last request failed.</summary>
internal sealed class ReplicationTarget
{
    public volatile string? Member;
    public volatile bool LastSendFailed;

    /// <summary>While .NEXT's heartbeat to the member is unanswered: the index it matched the member's log at (else -1).</summary>
    public long HeartbeatPrev = -1;
}
