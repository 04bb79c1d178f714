namespace GeoLedger.Storage;

/// <summary>
/// The last entries appended with payloads nobody changes (a leader's own writes), kept up to a byte budget so that
/// replication to each follower and the applier take them from memory: no read from the segment file, and no new
/// copy of a value per follower and per apply (with 1 MiB values that was 3 MiB of garbage per write on a leader of
/// three). Oldest out first; entries leave too when the log cuts them off. Not thread-safe: the log's gate guards it.
/// </summary>
internal sealed class RecentEntries(long budgetBytes)
{
    /// <summary>What an entry costs the budget beyond its payload, so that empty payloads cannot pile up.</summary>
    private const int EntryOverhead = 64;

    private readonly List<StoredEntry> entries = []; // ascending index, from `head` on
    private int head;
    private long bytes;

    /// <summary>Bytes of payload held.</summary>
    public long Bytes => bytes;

    /// <summary>Entries held.</summary>
    public int Count => entries.Count - head;

    /// <summary>
    /// Keeps <paramref name="entry"/> (replacing any held at its index or after), then drops the oldest past the budget:
    /// payload bytes plus a fixed cost per entry.
    /// </summary>
    public void Add(StoredEntry entry)
    {
        if (entry.Payload.Length + EntryOverhead > budgetBytes)
            return;
        if (Count > 0 && entries[^1].Index >= entry.Index)
            DropFrom(entry.Index);
        entries.Add(entry);
        bytes += entry.Payload.Length;
        while (bytes + ((long)Count * EntryOverhead) > budgetBytes)
            RemoveOldest();
    }

    /// <summary>The entry at <paramref name="index"/>, if held.</summary>
    public bool TryGet(long index, out StoredEntry entry)
    {
        entry = default;
        if (Count == 0 || index < entries[head].Index || index > entries[^1].Index)
            return false;
        // Mostly contiguous: the position an unbroken run would give, else a binary search.
        var guess = head + (int)(index - entries[head].Index);
        if (guess < entries.Count && entries[guess].Index == index)
        {
            entry = entries[guess];
            return true;
        }

        int low = head, high = entries.Count - 1;
        while (low <= high)
        {
            var middle = (low + high) >>> 1;
            var found = entries[middle].Index;
            if (found == index)
            {
                entry = entries[middle];
                return true;
            }

            if (found < index)
                low = middle + 1;
            else
                high = middle - 1;
        }

        return false;
    }

    /// <summary>True if the entry at <paramref name="index"/> is held.</summary>
    public bool Contains(long index) => TryGet(index, out _);

    /// <summary>Drops the entries at <paramref name="index"/> and after (a truncated suffix).</summary>
    public void DropFrom(long index)
    {
        while (Count > 0 && entries[^1].Index >= index)
        {
            bytes -= entries[^1].Payload.Length;
            entries.RemoveAt(entries.Count - 1);
        }

        Compact();
    }

    /// <summary>Drops the entries at <paramref name="index"/> and before (compacted into a snapshot).</summary>
    public void DropThrough(long index)
    {
        while (Count > 0 && entries[head].Index <= index)
            RemoveOldest();
    }

    /// <summary>Drops everything.</summary>
    public void Clear()
    {
        entries.Clear();
        head = 0;
        bytes = 0;
    }

    private void RemoveOldest()
    {
        bytes -= entries[head].Payload.Length;
        entries[head] = default; // let the payload go
        head++;
        Compact();
    }

    private void Compact()
    {
        if (Count == 0)
        {
            entries.Clear();
            head = 0;
        }
        else if (head > 64 && head > entries.Count / 2)
        {
            entries.RemoveRange(0, head);
            head = 0;
        }
    }
}
