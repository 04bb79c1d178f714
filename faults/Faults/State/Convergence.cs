namespace GeoLedger.Faults.State;

/// <summary>
/// Whether the cluster is settled enough to compare states: a leader, and every voting member in its configuration
/// answering with one applied index at or past the leader's commit index (so nothing committed is still unapplied).
/// </summary>
public static class Convergence
{
    /// <summary>The voting members when they have converged, else null with <paramref name="why"/> saying what is still missing.</summary>
    /// <param name="statuses">Every node's answer by node id; null for a node that did not answer.</param>
    /// <param name="why">What the nodes reported, for the run's line when they never converge.</param>
    public static IReadOnlyList<string>? Voters(IReadOnlyDictionary<string, ClusterStatus?> statuses, out string why)
    {
        var leader = statuses.Values.OfType<ClusterStatus>().Where(s => s.Leads).MaxBy(s => s.Term);
        var applied = string.Join(", ", statuses.OrderBy(s => s.Key, StringComparer.Ordinal)
            .Select(s => s.Value is { } v ? $"{s.Key} applied {v.AppliedIndex}" : $"{s.Key} no answer"));
        if (leader is null)
        {
            why = $"no node reports itself leader ({applied})";
            return null;
        }

        why = $"leader {leader.Node} (term {leader.Term}) commit {leader.CommitIndex}, voters {string.Join(", ", leader.Members)}; {applied}";
        var voters = leader.Members;
        if (voters.Count == 0 || voters.Any(v => !statuses.ContainsKey(v)))
            return null; // a member this run did not start: nothing to compare it with
        var answers = voters.Select(v => statuses[v]).ToList();
        if (answers.Any(a => a is null))
            return null;
        var indexes = answers.Select(a => a!.AppliedIndex).Distinct().ToList();
        return indexes.Count == 1 && indexes[0] >= leader.CommitIndex ? voters : null;
    }
}
