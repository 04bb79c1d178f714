namespace GeoLedger.Faults.Run;

/// <summary>
/// What a fault run leaves behind: a failing run keeps its history and its nodes' log for replay; a passing run
/// deletes both, unless asked to keep its history (<c>--keep-history</c>) for another checker or as evidence.
/// </summary>
/// <param name="HistoryPath">The recorded history (JSON, <c>faults check</c> reads it).</param>
/// <param name="NodeLogPath">Every node's output.</param>
public sealed record RunFiles(string HistoryPath, string NodeLogPath)
{
    /// <summary>The watchers' deliveries (<c>faults check-watch</c> reads it beside the history); kept and deleted with the history.</summary>
    public string? WatchPath { get; init; }

    /// <summary>Each voting member's state read at the end (<c>run-SEED-state.json</c>); kept and deleted with the history.</summary>
    public string? StatePath { get; init; }

    /// <summary>Deletes what is not kept; returns the line that says where the kept files are, or null when none is.</summary>
    public string? Finish(bool passed, bool keepHistory)
    {
        if (!passed)
            return $"kept for replay: {HistoryPath} (faults check {HistoryPath}){WatchKept}{StateKept} and the node logs {NodeLogPath}";
        File.Delete(NodeLogPath);
        if (keepHistory)
            return $"history kept: {HistoryPath} (faults check {HistoryPath}){WatchKept}{StateKept}";
        File.Delete(HistoryPath);
        if (WatchPath is not null)
            File.Delete(WatchPath);
        if (StatePath is not null)
            File.Delete(StatePath);
        return null;
    }

    private string StateKept => StatePath is not null && File.Exists(StatePath) ? $", the nodes' end states {StatePath}" : "";

    private string WatchKept => WatchPath is not null && File.Exists(WatchPath) ? $", the watch record {WatchPath} (faults check-watch {HistoryPath} {WatchPath})" : "";
}
