using GeoLedger.Ledger.Transactions;
using GeoLedger.Ledger.Watch;

namespace GeoLedger.Ledger;

/// <summary>
/// The ledger's in-memory state: keys in ordinal order with their values and revisions, as an
/// immutable <see cref="KeyTree"/> version per applied batch. The state machine changes it from one
/// thread (<see cref="Apply"/>, <see cref="Skip"/>, then <see cref="Publish"/>); requests read the
/// published version without locks; a snapshot serializes a version while applying goes on.
/// </summary>
public sealed class LedgerStore
{
    private KeyTree.Builder changes = KeyTree.Empty.ToBuilder();
    private long pendingRevision;
    private long pendingBytes;
    private volatile StoreVersion current = new(KeyTree.Empty, 0);
    private TaskCompletionSource published = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<Change> pendingChanges = [];

    /// <summary>The changes applied recently, for watchers (appended as each version is published).</summary>
    public ChangeHistory History { get; init; } = new(100_000, 64L * 1024 * 1024);

    /// <summary>The published version: its keys and the index of the last entry applied to it.</summary>
    public StoreVersion Current => current;

    /// <summary>
    /// Completes when the next version is published (for blocking reads). Take it before looking at <see cref="Current"/>,
    /// so that a version published in between is not missed.
    /// </summary>
    public Task NextPublished => Volatile.Read(ref published).Task;

    /// <summary>The index of the last applied log entry (of the published version).</summary>
    public long Revision => current.Revision;

    /// <summary>The number of keys (of the published version).</summary>
    public int Count => current.Keys.Count;

    /// <summary>Bytes of every key (UTF-16 length as a stand-in for its UTF-8 size) and value (of the published version).</summary>
    public long LiveBytes => current.LiveBytes;

    /// <summary>Applies <paramref name="command"/> as the log entry at <paramref name="index"/> (visible after <see cref="Publish"/>).</summary>
    public ApplyResult Apply(long index, LedgerCommand command)
    {
        var existing = changes.Get(command.Key);
        ApplyResult result;
        if (!command.Precondition.HoldsFor(existing))
        {
            result = new ApplyResult(ApplyStatus.PreconditionFailed, existing, index);
        }
        else if (command.Kind == CommandKind.Put)
        {
            var entry = new LedgerEntry(command.Key, command.Value, index);
            changes.Set(entry);
            pendingBytes += Size(entry) - (existing is null ? 0 : Size(existing));
            pendingChanges.Add(new Change(index, ChangeKind.Put, entry.Key, entry.Value, existing?.Revision ?? 0));
            result = new ApplyResult(ApplyStatus.Applied, entry, index);
        }
        else if (existing is null)
        {
            result = new ApplyResult(ApplyStatus.NotFound, null, index);
        }
        else
        {
            changes.Remove(command.Key);
            pendingBytes -= Size(existing);
            pendingChanges.Add(new Change(index, ChangeKind.Delete, existing.Key, [], existing.Revision));
            result = new ApplyResult(ApplyStatus.Applied, null, index);
        }

        pendingRevision = index;
        return result;
    }

    /// <summary>
    /// Applies a transaction as the log entry at <paramref name="index"/>: its compares against the state before it, then
    /// one branch in order (a get sees the branch's earlier writes), every write at revision <paramref name="index"/>.
    /// </summary>
    public ApplyResult ApplyTransaction(long index, TransactionCommand transaction)
    {
        var succeeded = transaction.Compare.All(c => c.HoldsFor(changes.Get(c.Key)));
        var branch = succeeded ? transaction.Success : transaction.Failure;
        var results = new TxnOperationResult[branch.Count];
        for (var i = 0; i < branch.Count; i++)
        {
            var operation = branch[i];
            var existing = changes.Get(operation.Key);
            switch (operation.Kind)
            {
                case TxnOperationKind.Put:
                    var entry = new LedgerEntry(operation.Key, operation.Value, index);
                    changes.Set(entry);
                    pendingBytes += Size(entry) - (existing is null ? 0 : Size(existing));
                    pendingChanges.Add(new Change(index, ChangeKind.Put, entry.Key, entry.Value, existing?.Revision ?? 0));
                    results[i] = new TxnOperationResult(operation.Kind, operation.Key, entry, Deleted: false);
                    break;
                case TxnOperationKind.Delete:
                    if (existing is not null)
                    {
                        changes.Remove(operation.Key);
                        pendingBytes -= Size(existing);
                        pendingChanges.Add(new Change(index, ChangeKind.Delete, existing.Key, [], existing.Revision));
                    }

                    results[i] = new TxnOperationResult(operation.Kind, operation.Key, null, Deleted: existing is not null);
                    break;
                default:
                    results[i] = new TxnOperationResult(operation.Kind, operation.Key, existing, Deleted: false);
                    break;
            }
        }

        pendingRevision = index;
        return new ApplyResult(ApplyStatus.Applied, null, index) { Transaction = new TransactionResult(succeeded, results) };
    }

    /// <summary>Records that the log entry at <paramref name="index"/> carried no command (a configuration entry).</summary>
    public void Skip(long index) => pendingRevision = index;

    /// <summary>Makes everything applied so far visible to readers and snapshots.</summary>
    public void Publish()
    {
        if (pendingRevision != current.Revision)
        {
            // Watchers read the history up to the published revision, so it is complete before the version is published.
            History.Append(pendingChanges);
            pendingChanges.Clear();
            current = new StoreVersion(changes.ToTree(), pendingRevision) { LiveBytes = pendingBytes };
            SignalPublished();
        }
    }

    /// <summary>The key's entry, or null when absent.</summary>
    public LedgerEntry? Get(string key) => current.Keys.Get(key);

    /// <summary>
    /// Up to <paramref name="limit"/> entries whose keys start with <paramref name="prefix"/>, in ordinal
    /// order, strictly after <paramref name="after"/> when given; <c>Next</c> is the last key returned when
    /// more follow.
    /// </summary>
    public (IReadOnlyList<LedgerEntry> Items, string? Next) List(string prefix, string? after, int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var start = after is not null && string.CompareOrdinal(after, prefix) > 0 ? after : prefix;
        var items = new List<LedgerEntry>(Math.Min(limit, 64));
        foreach (var entry in current.Keys.From(start))
        {
            if (after is not null && string.CompareOrdinal(entry.Key, after) <= 0)
                continue;
            if (!entry.Key.StartsWith(prefix, StringComparison.Ordinal))
                break;
            if (items.Count == limit)
                return (items, items[^1].Key);
            items.Add(entry);
        }

        return (items, null);
    }

    /// <summary>Replaces the whole state with a snapshot's content, published at once.</summary>
    public void Reset(KeyTree keys, long revision)
    {
        changes = keys.ToBuilder();
        pendingRevision = revision;
        pendingChanges.Clear();
        History.Reset(revision);
        pendingBytes = keys.All().Sum(Size);
        current = new StoreVersion(keys, revision) { LiveBytes = pendingBytes };
        SignalPublished();
    }

    private void SignalPublished() =>
        Interlocked.Exchange(ref published, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    private static long Size(LedgerEntry entry) => entry.Key.Length + entry.Value.Length;
}

/// <summary>One published state of the store.</summary>
/// <param name="Keys">Every key.</param>
/// <param name="Revision">The index of the last log entry applied to it.</param>
public sealed record StoreVersion(KeyTree Keys, long Revision)
{
    /// <summary>Bytes of every key and value (for metrics).</summary>
    public long LiveBytes { get; init; }
}
