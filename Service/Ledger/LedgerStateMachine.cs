using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Microsoft.Extensions.Logging;

namespace GeoLedger.Ledger;

/// <summary>
/// The Raft state machine: applies ledger commands to the <see cref="LedgerStore"/>, persists
/// checksummed snapshots every <see cref="SnapshotInterval"/> entries and restores from them.
/// </summary>
public sealed class LedgerStateMachine(DirectoryInfo location, LedgerStore store, long snapshotInterval, ILogger<LedgerStateMachine> logger)
    : SimpleStateMachine(location)
{
    private long lastSnapshotIndex;

    /// <summary>The folder holding the snapshots.</summary>
    public DirectoryInfo Location { get; } = location;

    /// <summary>The store this machine applies to.</summary>
    public LedgerStore Store { get; } = store;

    /// <summary>Log entries between snapshots.</summary>
    public long SnapshotInterval { get; } = snapshotInterval > 0 ? snapshotInterval : throw new ArgumentOutOfRangeException(nameof(snapshotInterval));

    /// <summary>Index of the newest snapshot written or installed; 0 before the first.</summary>
    public long LastSnapshotIndex => Interlocked.Read(ref lastSnapshotIndex);

    /// <summary>
    /// A pause before applying each entry this node did not append itself as leader (entries without
    /// a write context); only the cluster tests set it, to hold a follower behind its commit index.
    /// </summary>
    public TimeSpan FollowerApplyDelay { get; init; }

    /// <summary>A pause before applying every entry; only tests set it, to make writes time out.</summary>
    public TimeSpan ApplyDelay { get; init; }

    /// <inheritdoc/>
    protected override async ValueTask<bool> ApplyAsync(LogEntry entry, CancellationToken token)
    {
        var delay = entry.Context is null ? ApplyDelay + FollowerApplyDelay : ApplyDelay;
        if (delay > TimeSpan.Zero)
            await Task.Delay(delay, token).ConfigureAwait(false);

        if (entry.IsConfiguration || !entry.TryGetPayload(out var payload) || payload.IsEmpty)
        {
            // A membership entry or an empty one: it advances the revision and changes no key. (A new leader's no-op
            // has no payload at all; the WAL applies it without calling this method, so it does not advance the revision.)
            Store.Skip(entry.Index);
        }
        else
        {
            var result = Store.Apply(entry.Index, LedgerCommand.Decode(payload));
            (entry.Context as WriteContext)?.Complete(result);
        }

        if (entry.Index - Interlocked.Read(ref lastSnapshotIndex) < SnapshotInterval)
            return false;
        Interlocked.Exchange(ref lastSnapshotIndex, entry.Index);
        return true;
    }

    /// <inheritdoc/>
    protected override async ValueTask PersistAsync(IAsyncBinaryWriter writer, CancellationToken token)
    {
        var (entries, revision) = Store.Capture();
        await SnapshotFormat.WriteAsync(entries, revision, writer.Invoke, token).ConfigureAwait(false);
        LogMessages.SnapshotWritten(logger, revision, entries.Length);
    }

    /// <inheritdoc/>
    protected override async ValueTask RestoreAsync(FileInfo snapshotFile, CancellationToken token)
    {
        var (entries, revision) = await SnapshotFormat.ReadAsync(snapshotFile.FullName, token).ConfigureAwait(false);
        Store.Reset(entries, revision);
        Interlocked.Exchange(ref lastSnapshotIndex, revision);
        LogMessages.SnapshotRestored(logger, revision, entries.Count, snapshotFile.Name);
    }
}
