namespace GeoLedger.Faults.Watch;

/// <summary>The watch check's verdict: what was counted and every problem found (none: it passed).</summary>
/// <param name="Watchers">Watchers checked.</param>
/// <param name="Deliveries">Changes delivered, over all watchers.</param>
/// <param name="Reconnects">Streams resumed after each watcher's first (with <c>Last-Event-ID</c>).</param>
/// <param name="Attempts">Connection attempts, refused ones (a dead node, 503 without a leader) included.</param>
/// <param name="Gone">Answers 410 and <c>gone</c> events (each made its watcher move to another node).</param>
/// <param name="Problems">One line per violation; empty when the check passed.</param>
public sealed record WatchCheckResult(int Watchers, int Deliveries, int Reconnects, int Attempts, int Gone, IReadOnlyList<string> Problems)
{
    /// <summary>True when no problem was found.</summary>
    public bool Passed => Problems.Count == 0;

    /// <summary>The run's verdict line.</summary>
    public string Summary =>
        $"{(Passed ? "PASS" : $"FAIL ({Problems.Count} problems)")}: {Watchers} watchers, {Deliveries} deliveries, {Reconnects} reconnects ({Attempts} connection attempts), {Gone} gone (410)";
}
