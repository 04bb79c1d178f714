namespace GeoLedger.Ledger.Watch;

/// <summary>
/// The changes this node applied recently, in revision order, for watchers: bounded by a count and by bytes, whole
/// revisions at a time (a transaction's changes stay or go together). It starts empty at the revision the node starts
/// from (its snapshot's): a node serves changes it applied itself, so a restart or an installed snapshot moves the
/// oldest revision it can serve forward.
/// </summary>
public sealed class ChangeHistory(int maxChanges, long maxBytes)
{
    private readonly Lock gate = new();
    private readonly List<Change> changes = [];
    private int start;
    private long bytes;
    private long oldest = 1;

    /// <summary>The oldest revision whose changes are all still here: a watch may start at it or later.</summary>
    public long OldestAvailable
    {
        get
        {
            lock (gate)
                return oldest;
        }
    }

    /// <summary>Changes held now.</summary>
    public int Count
    {
        get
        {
            lock (gate)
                return changes.Count - start;
        }
    }

    /// <summary>Adds the changes of newly applied entries (in revision order), then drops the oldest revisions past the bounds.</summary>
    public void Append(IReadOnlyList<Change> applied)
    {
        if (applied.Count == 0)
            return;
        lock (gate)
        {
            foreach (var change in applied)
            {
                changes.Add(change);
                bytes += change.Bytes;
            }

            while (changes.Count - start > maxChanges || bytes > maxBytes)
            {
                var dropped = changes[start].Revision;
                while (start < changes.Count && changes[start].Revision == dropped)
                {
                    bytes -= changes[start].Bytes;
                    changes[start++] = null!;
                }

                oldest = dropped + 1;
            }

            if (start > 1024 && start > changes.Count / 2)
            {
                changes.RemoveRange(0, start);
                start = 0;
            }
        }
    }

    /// <summary>Forgets every change: the state was replaced (a snapshot) at <paramref name="revision"/>, so watchers can start after it.</summary>
    public void Reset(long revision)
    {
        lock (gate)
        {
            changes.Clear();
            start = 0;
            bytes = 0;
            oldest = revision + 1;
        }
    }

    /// <summary>
    /// The changes of keys under <paramref name="prefix"/> with revisions from <paramref name="from"/> to
    /// <paramref name="through"/>, in order; null when some of them are no longer held (<paramref name="from"/> is
    /// older than <see cref="OldestAvailable"/>).
    /// </summary>
    public List<Change>? Read(long from, long through, string prefix)
    {
        lock (gate)
        {
            if (from < oldest)
                return null;
            var result = new List<Change>();
            var low = start;
            var high = changes.Count;
            while (low < high)
            {
                var middle = low + (high - low) / 2;
                if (changes[middle].Revision < from)
                    low = middle + 1;
                else
                    high = middle;
            }

            for (var i = low; i < changes.Count && changes[i].Revision <= through; i++)
            {
                if (changes[i].Key.StartsWith(prefix, StringComparison.Ordinal))
                    result.Add(changes[i]);
            }

            return result;
        }
    }
}
