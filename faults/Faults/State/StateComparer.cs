namespace GeoLedger.Faults.State;

/// <summary>
/// Compares the voting members' applied states: every node must hold exactly the same keys, each with the same value
/// and revision, at the same applied index. Raft promises identical state machines at one applied index, so any
/// difference is a node that applied something the cluster never committed (or skipped something it did).
/// </summary>
public static class StateComparer
{
    /// <summary>Most problems listed; the count says how many more there were.</summary>
    private const int MaxProblems = 50;

    /// <summary>Compares <paramref name="nodes"/>; <paramref name="leftOut"/> only goes into the summary.</summary>
    public static StateCheckResult Compare(IReadOnlyList<NodeState> nodes, IReadOnlyList<string> leftOut)
    {
        var problems = new List<string>();
        if (nodes.Count == 0)
            problems.Add("no voting member was read");
        if (nodes.Select(n => n.AppliedIndex).Distinct().Count() > 1)
            problems.Add($"applied indexes differ: {string.Join(", ", nodes.Select(n => $"{n.Node} {n.AppliedIndex}"))}");

        var byKey = nodes.Select(n => n.Entries.ToDictionary(e => e.Key, StringComparer.Ordinal)).ToList();
        var keys = byKey.SelectMany(d => d.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        foreach (var key in keys)
        {
            // Nodes grouped by what they hold for the key; the biggest group (the first node's on a tie) is the reference.
            var groups = nodes.Select((node, i) => (node.Node, Entry: byKey[i].GetValueOrDefault(key)))
                .GroupBy(n => n.Entry is { } e ? (e.Value, e.Revision) : ((string, long)?)null)
                .OrderByDescending(g => g.Count())
                .ToList();
            if (groups.Count == 1)
                continue;
            var reference = groups[0];
            foreach (var group in groups.Skip(1))
                problems.Add($"{Names(group)} {(group.Count() == 1 ? "differs" : "differ")} on '{key}': {Holds(group)}; {Names(reference)} {Holds(reference)}");
        }

        if (problems.Count > MaxProblems)
            problems = [.. problems.Take(MaxProblems), $"... and {problems.Count - MaxProblems} more"];
        return new StateCheckResult(nodes.Count, keys.Count, nodes.Count == 0 ? 0 : nodes.Max(n => n.AppliedIndex), leftOut, problems);
    }

    private static string Names(IGrouping<(string Value, long Revision)?, (string Node, StateEntry? Entry)> group)
    {
        var names = group.Select(n => n.Node).ToList();
        return names.Count == 1 ? names[0] : $"{string.Join(", ", names[..^1])} and {names[^1]}";
    }

    private static string Holds(IGrouping<(string Value, long Revision)?, (string Node, StateEntry? Entry)> group)
    {
        var verb = group.Count() == 1 ? "has" : "have";
        return group.Key is { } held ? $"{verb} {held.Value} at revision {held.Revision}" : $"{(group.Count() == 1 ? "lacks" : "lack")} it";
    }
}
