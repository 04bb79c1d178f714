namespace GeoLedger.Storage;

/// <summary>
/// What each member has acknowledged to this node as leader: the index up to which its log matches
/// this node's, with the term of the entry there (an acknowledgement stays valid only while this
/// node's log still holds that entry with that term: then, by Raft's log matching, the member's log
/// equals this one up to it). Followers acknowledge only what they have flushed, so these are
/// durable copies; the commit rule counts them together with the leader's own flushed index.
/// </summary>
internal sealed class CommitTracker
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, (long Index, long Term)> matched = new(StringComparer.Ordinal);

    /// <summary>Records that <paramref name="member"/>'s log matches this one up to <paramref name="index"/> (of <paramref name="term"/>).</summary>
    public void Record(string member, long index, long term)
    {
        lock (gate)
        {
            if (!matched.TryGetValue(member, out var known) || index > known.Index || term != known.Term)
                matched[member] = (index, term);
        }
    }

    /// <summary>
    /// The largest index held durably by a majority of <paramref name="members"/>: the leader counts
    /// with <paramref name="leaderDurable"/>, each other member with its acknowledgement when
    /// <paramref name="termAt"/> confirms it. Null when the members are unknown.
    /// </summary>
    public long MajorityIndex(IReadOnlyList<string?> members, string self, long leaderDurable, Func<long, long?> termAt)
    {
        if (members.Count == 0)
            return 0;
        Span<long> held = members.Count <= 16 ? stackalloc long[members.Count] : new long[members.Count];
        lock (gate)
        {
            for (var i = 0; i < members.Count; i++)
            {
                var member = members[i];
                if (member == self)
                    held[i] = leaderDurable;
                else if (member is not null && matched.TryGetValue(member, out var ack) && termAt(ack.Index) == ack.Term)
                    held[i] = ack.Index;
                else
                    held[i] = 0;
            }
        }

        held.Sort();
        var majority = (members.Count / 2) + 1;
        return held[members.Count - majority];
    }

    /// <summary>Forgets every member not in <paramref name="members"/>.</summary>
    public void Retain(IReadOnlyList<string?> members)
    {
        lock (gate)
        {
            foreach (var member in matched.Keys.Where(k => !members.Contains(k)).ToList())
                matched.Remove(member);
        }
    }

    /// <summary>The acknowledged index of each member (for status and metrics).</summary>
    public IReadOnlyDictionary<string, long> Snapshot()
    {
        lock (gate)
            return matched.ToDictionary(m => m.Key, m => m.Value.Index, StringComparer.Ordinal);
    }
}
