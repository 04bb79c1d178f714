namespace GeoLedger.Faults.State;

/// <summary>The state check's verdict: what was compared and every difference found (none: it passed).</summary>
/// <param name="Nodes">Voting members compared.</param>
/// <param name="Keys">Keys under the prefix on any of them.</param>
/// <param name="AppliedIndex">The applied index they were read at (the highest one, if they differ).</param>
/// <param name="LeftOut">Nodes not compared, each with why (not a voting member at the end).</param>
/// <param name="Problems">One line per difference; empty when the check passed.</param>
public sealed record StateCheckResult(int Nodes, int Keys, long AppliedIndex, IReadOnlyList<string> LeftOut, IReadOnlyList<string> Problems)
{
    /// <summary>True when no problem was found.</summary>
    public bool Passed => Problems.Count == 0;

    /// <summary>Set when the members never reached one applied index: nothing was compared.</summary>
    public string? NotConverged { get; init; }

    /// <summary>The run's verdict line.</summary>
    public string Summary => (NotConverged, Passed) switch
    {
        ({ } why, _) => $"FAIL: {why}",
        (_, true) => $"PASS: {Nodes} nodes agree on {Keys} keys at applied index {AppliedIndex}{LeftOutText}",
        _ => $"FAIL ({Problems.Count} problems): {Nodes} nodes at applied index {AppliedIndex} do not agree on {Keys} keys{LeftOutText}",
    };

    /// <summary>A check that compared nothing because the voting members did not converge.</summary>
    public static StateCheckResult DidNotConverge(string why, IReadOnlyList<string> leftOut) =>
        new(0, 0, 0, leftOut, [why]) { NotConverged = why };

    private string LeftOutText => LeftOut.Count == 0 ? "" : $"; left out: {string.Join(", ", LeftOut)}";
}
