using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using GeoLedger.Ledger;
using GeoLedger.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace GeoLedger.Tests.Ledger;

/// <summary>
/// GeoLedger's log and state machine on a folder, without any network: entries are appended,
/// committed and applied exactly as the Raft leader of a one-node cluster would (through the
/// interfaces .NEXT calls). Opening it wins an election: the term goes up and the leader's no-op is
/// applied, as .NEXT's winning candidate does (the log refuses appends from a node that does not lead).
/// </summary>
internal sealed class OneNodeLog : IAsyncDisposable
{
    private static readonly TimeSpan ApplyTimeout = TimeSpan.FromSeconds(30);

    private OneNodeLog(LedgerLog log) => Log = log;

    public LedgerLog Log { get; }

    /// <summary>The term this node leads; entries appended as leader carry it.</summary>
    public long Term { get; private set; }

    public LedgerStateMachine Machine => Log.Machine;

    public LedgerStore Store => Machine.Store;

    /// <summary>The snapshots folder under <paramref name="folder"/>.</summary>
    public static DirectoryInfo SnapshotsOf(string folder) => new(Path.Combine(folder, "snapshots"));

    /// <summary>Opens the log in <paramref name="folder"/> the way the node does.</summary>
    public static async Task<OneNodeLog> OpenAsync(string folder, long snapshotInterval = 50_000, TimeSpan flushDelay = default)
    {
        var log = new LedgerLog(
            new LedgerLogOptions { DataDirectory = folder, SnapshotInterval = snapshotInterval, CatchUpEntries = 2, Segments = new SegmentedLogOptions { SegmentBytes = 64 * 1024, FlushDelay = flushDelay } },
            new LedgerStateMachine(new LedgerStore(), NullLogger<LedgerStateMachine>.Instance),
            NullLogger<LedgerLog>.Instance);
        log.Members = () => [log.Self];
        using var timeout = new CancellationTokenSource(ApplyTimeout);
        await ((IAuditTrail)log).InitializeAsync(timeout.Token);
        var opened = new OneNodeLog(log);
        await opened.LeadNewTermAsync();
        return opened;
    }

    /// <summary>Wins the next term's election: votes for itself, then appends and applies the new leader's no-op; returns the no-op's index.</summary>
    public async Task<long> LeadNewTermAsync()
    {
        using var timeout = new CancellationTokenSource(ApplyTimeout);
        Term = await ((IPersistentState)Log).IncrementTermAsync(default, timeout.Token);
        return await AppendAndApplyAsync(new EmptyLogEntry { Term = Term });
    }

    /// <summary>Appends, commits and applies one command; returns its index and the outcome the state machine reported.</summary>
    public async Task<(long Index, ApplyResult Result)> ApplyAsync(ILedgerProposal command)
    {
        var context = new WriteContext();
        var index = await AppendAndApplyAsync(new BinaryLogEntry { Content = command.Encode(), Term = Term, Context = context });
        return (index, context.Result ?? throw new InvalidOperationException($"Entry {index} was applied without reporting an outcome"));
    }

    /// <summary>Appends, commits and applies any entry (and waits for a snapshot it started); returns its index.</summary>
    public async Task<long> AppendAndApplyAsync<TEntry>(TEntry entry)
        where TEntry : IRaftLogEntry
    {
        using var timeout = new CancellationTokenSource(ApplyTimeout);
        IAuditTrail<IRaftLogEntry> trail = Log;
        var index = await trail.AppendAsync(entry, timeout.Token);
        await trail.CommitAsync(index, timeout.Token);
        await trail.WaitForApplyAsync(index, timeout.Token);
        await Log.SnapshotWritten.WaitAsync(timeout.Token);
        return index;
    }

    public ValueTask DisposeAsync() => Log.DisposeAsync();
}
