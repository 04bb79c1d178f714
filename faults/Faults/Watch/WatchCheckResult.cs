namespace GeoLedger.Faults.Watch;

/// <summary>The watch check's verdict: what was counted and every problem found (none: it passed).</summary>
/// <param name="Watchers">Watchers checked.</param>
/// <param name="Deliveries">Changes delivered, over all watchers.</param>
/// <param name="Reconnects">Connections after each watcher's first.</param>
/// <param name="Gone">Answers 410 and <c>gone</c> events (each made its watcher move to another node).</param>
/// <param name="Problems">One line per violation; empty when the check passed.</param>
public sealed record WatchCheckResult(int Watchers, int Deliveries, int Reconnects, int Gone, IReadOnlyList<string> Problems)
{
    /// <summary>True when no problem was found.</summary>
    public bool Passed => Problems.Count == 0;

    /// <summary>The run's verdict line.</summary>
    public string Summary =>
        $"{(Passed ? "PASS" : $"FAIL ({Problems.Count} problems)")}: {Watchers} watchers, {Deliveries} deliveries, {Reconnects} reconnects, {Gone} gone (410)";
}
