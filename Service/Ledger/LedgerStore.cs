namespace GeoLedger.Ledger;

/// <summary>
/// The ledger's in-memory state: keys in ordinal order with their values and revisions.
/// Mutated only by <see cref="Apply"/> (one Raft applier thread); read concurrently by requests.
/// </summary>
public sealed class LedgerStore
{
    private readonly ReaderWriterLockSlim gate = new(LockRecursionPolicy.NoRecursion);
    private Dictionary<string, LedgerEntry> entries = new(StringComparer.Ordinal);
    private SortedSet<string> order = new(StringComparer.Ordinal);
    private long revision;

    /// <summary>The index of the last applied log entry.</summary>
    public long Revision => Volatile.Read(ref revision);

    /// <summary>The number of keys.</summary>
    public int Count
    {
        get
        {
            gate.EnterReadLock();
            try
            {
                return entries.Count;
            }
            finally
            {
                gate.ExitReadLock();
            }
        }
    }

    /// <summary>Applies <paramref name="command"/> as the log entry at <paramref name="index"/>.</summary>
    public ApplyResult Apply(long index, LedgerCommand command)
    {
        gate.EnterWriteLock();
        try
        {
            entries.TryGetValue(command.Key, out var current);
            ApplyResult result;
            if (!command.Precondition.HoldsFor(current))
            {
                result = new ApplyResult(ApplyStatus.PreconditionFailed, current, index);
            }
            else if (command.Kind == CommandKind.Put)
            {
                var entry = new LedgerEntry(command.Key, command.Value, index);
                entries[command.Key] = entry;
                if (current is null)
                    order.Add(command.Key);
                result = new ApplyResult(ApplyStatus.Applied, entry, index);
            }
            else if (current is null)
            {
                result = new ApplyResult(ApplyStatus.NotFound, null, index);
            }
            else
            {
                entries.Remove(command.Key);
                order.Remove(command.Key);
                result = new ApplyResult(ApplyStatus.Applied, null, index);
            }

            Volatile.Write(ref revision, index);
            return result;
        }
        finally
        {
            gate.ExitWriteLock();
        }
    }

    /// <summary>Records that the log entry at <paramref name="index"/> carried no command (a configuration or empty entry).</summary>
    public void Skip(long index)
    {
        gate.EnterWriteLock();
        try
        {
            Volatile.Write(ref revision, index);
        }
        finally
        {
            gate.ExitWriteLock();
        }
    }

    /// <summary>The key's entry, or null when absent.</summary>
    public LedgerEntry? Get(string key)
    {
        gate.EnterReadLock();
        try
        {
            return entries.GetValueOrDefault(key);
        }
        finally
        {
            gate.ExitReadLock();
        }
    }

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
        gate.EnterReadLock();
        try
        {
            if (order.Count == 0 || string.CompareOrdinal(start, order.Max) > 0)
                return (items, null);
            foreach (var key in order.GetViewBetween(start, order.Max!))
            {
                if (after is not null && string.CompareOrdinal(key, after) <= 0)
                    continue;
                if (!key.StartsWith(prefix, StringComparison.Ordinal))
                    break;
                if (items.Count == limit)
                    return (items, items[^1].Key);
                items.Add(entries[key]);
            }

            return (items, null);
        }
        finally
        {
            gate.ExitReadLock();
        }
    }

    /// <summary>A consistent copy of every entry and the revision, for a snapshot.</summary>
    public (LedgerEntry[] Entries, long Revision) Capture()
    {
        gate.EnterReadLock();
        try
        {
            var copy = new LedgerEntry[entries.Count];
            var i = 0;
            foreach (var key in order)
                copy[i++] = entries[key];
            return (copy, revision);
        }
        finally
        {
            gate.ExitReadLock();
        }
    }

    /// <summary>Replaces the whole state with a snapshot's content.</summary>
    public void Reset(IReadOnlyCollection<LedgerEntry> snapshotEntries, long snapshotRevision)
    {
        var newEntries = new Dictionary<string, LedgerEntry>(snapshotEntries.Count, StringComparer.Ordinal);
        foreach (var e in snapshotEntries)
            newEntries[e.Key] = e;
        var newOrder = new SortedSet<string>(newEntries.Keys, StringComparer.Ordinal);
        gate.EnterWriteLock();
        try
        {
            entries = newEntries;
            order = newOrder;
            Volatile.Write(ref revision, snapshotRevision);
        }
        finally
        {
            gate.ExitWriteLock();
        }
    }
}
