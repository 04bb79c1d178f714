namespace GeoLedger.Faults.Checker;

/// <summary>
/// Memo of visited search configurations. A configuration is pruned when a visited one has the same definite
/// operations and state and applied a subset of its unknown operations: the visited one can do everything it can
/// (unknown operations are optional and never bound the window), so it already explored every continuation.
/// </summary>
internal sealed class ConfigurationCache
{
    private readonly Dictionary<ulong, List<CacheEntry>> buckets = [];

    /// <summary>Configurations recorded.</summary>
    public int Count { get; private set; }

    /// <summary>Records a configuration; null when it is dominated by one already recorded.</summary>
    public CacheEntry? TryAdd(BitSet definite, int state, BitSet unknown)
    {
        var hash = (definite.Hash * 0x9E3779B97F4A7C15UL) ^ (ulong)(uint)state;
        if (!buckets.TryGetValue(hash, out var bucket))
        {
            bucket = [];
            buckets.Add(hash, bucket);
        }

        foreach (var entry in bucket)
        {
            if (entry.State == state && unknown.IsSupersetOf(entry.Unknown) && definite.SetEquals(entry.Definite))
            {
                return null;
            }
        }

        var added = new CacheEntry(hash, definite.Snapshot(), state, unknown.Snapshot());
        bucket.Add(added);
        Count++;
        return added;
    }

    /// <summary>Forgets a recorded configuration.</summary>
    public void Remove(CacheEntry entry)
    {
        if (buckets[entry.Hash].Remove(entry))
        {
            Count--;
        }
    }
}
