using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using GeoLedger.Ledger;
using GeoLedger.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace GeoLedger.Tests.Ledger;

/// <summary>
/// GeoLedger's log and state machine on a folder, without any network: entries are appended,
/// committed and applied exactly as the Raft leader of a one-node cluster would (through the
/// interfaces .NEXT calls).
/// </summary>
internal sealed class OneNodeLog : IAsyncDisposable
{
    private static readonly TimeSpan ApplyTimeout = TimeSpan.FromSeconds(30);

    private OneNodeLog(LedgerLog log) => Log = log;

    public LedgerLog Log { get; }

    public LedgerStateMachine Machine => Log.Machine;

    public LedgerStore Store => Machine.Store;

    /// <summary>The snapshots folder under <paramref name="folder"/>.</summary>
    public static DirectoryInfo SnapshotsOf(string folder) => new(Path.Combine(folder, "snapshots"));

    /// <summary>Opens the log in <paramref name="folder"/> the way the node does.</summary>
    public static async Task<OneNodeLog> OpenAsync(string folder, long snapshotInterval = 50_000)
    {
        var log = new LedgerLog(
            new LedgerLogOptions { DataDirectory = folder, SnapshotInterval = snapshotInterval, CatchUpEntries = 2, Segments = new SegmentedLogOptions { SegmentBytes = 64 * 1024 } },
            new LedgerStateMachine(new LedgerStore(), NullLogger<LedgerStateMachine>.Instance),
            NullLogger<LedgerLog>.Instance);
        log.Members = () => [log.Self];
        using var timeout = new CancellationTokenSource(ApplyTimeout);
        await ((IAuditTrail)log).InitializeAsync(timeout.Token);
        return new OneNodeLog(log);
    }

    /// <summary>Appends, commits and applies one command; returns its index and the outcome the state machine reported.</summary>
    public async Task<(long Index, ApplyResult Result)> ApplyAsync(ILedgerProposal command)
    {
        var context = new WriteContext();
        var index = await AppendAndApplyAsync(new BinaryLogEntry { Content = command.Encode(), Term = 1, Context = context });
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
