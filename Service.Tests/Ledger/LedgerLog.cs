using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using GeoLedger.Ledger;
using Microsoft.Extensions.Logging.Abstractions;

namespace GeoLedger.Tests.Ledger;

/// <summary>
/// A <see cref="LedgerStateMachine"/> behind a real write-ahead log on a folder, without any network:
/// entries are appended, committed and applied exactly as the Raft leader of a one-node cluster would.
/// </summary>
internal sealed class LedgerLog : IAsyncDisposable
{
    private static readonly TimeSpan ApplyTimeout = TimeSpan.FromSeconds(30);

    private LedgerLog(LedgerStateMachine machine, WriteAheadLog wal)
    {
        Machine = machine;
        Wal = wal;
    }

    public LedgerStateMachine Machine { get; }

    public WriteAheadLog Wal { get; }

    public LedgerStore Store => Machine.Store;

    /// <summary>The snapshots folder under <paramref name="folder"/>.</summary>
    public static DirectoryInfo SnapshotsOf(string folder) => new(Path.Combine(folder, "snapshots"));

    /// <summary>Opens the log in <paramref name="folder"/> the way the node does: restore first, then the WAL.</summary>
    public static async Task<LedgerLog> OpenAsync(string folder, long snapshotInterval = 50_000)
    {
        var machine = new LedgerStateMachine(SnapshotsOf(folder), new LedgerStore(), snapshotInterval, NullLogger<LedgerStateMachine>.Instance);
        try
        {
            // The WAL reads the restored snapshot index in its constructor, so this must come first.
            await machine.RestoreAsync();
            var wal = new WriteAheadLog(
                new WriteAheadLog.Options
                {
                    Location = Path.Combine(folder, "wal"),
                    HashAlgorithm = WriteAheadLog.IntegrityHashAlgorithm.XxHash3,
                },
                machine);
            using var timeout = new CancellationTokenSource(ApplyTimeout);
            await wal.InitializeAsync(timeout.Token);
            return new LedgerLog(machine, wal);
        }
        catch
        {
            await machine.DisposeAsync();
            throw;
        }
    }

    /// <summary>Appends, commits and applies one command; returns its index and the outcome the state machine reported.</summary>
    public async Task<(long Index, ApplyResult Result)> ApplyAsync(LedgerCommand command)
    {
        var context = new WriteContext();
        var index = await AppendAndApplyAsync(new BinaryLogEntry { Content = command.Encode(), Term = 1, Context = context });
        return (index, context.Result ?? throw new InvalidOperationException($"Entry {index} was applied without reporting an outcome"));
    }

    /// <summary>Appends, commits and applies any entry; returns its index.</summary>
    public async Task<long> AppendAndApplyAsync<TEntry>(TEntry entry)
        where TEntry : IRaftLogEntry
    {
        using var timeout = new CancellationTokenSource(ApplyTimeout);
        var index = await Wal.AppendAsync(entry, timeout.Token);
        await Wal.CommitAsync(index, timeout.Token);
        await Wal.WaitForApplyAsync(index, timeout.Token);
        return index;
    }

    public async ValueTask DisposeAsync()
    {
        await Wal.DisposeAsync();
        await Machine.DisposeAsync();
    }
}
