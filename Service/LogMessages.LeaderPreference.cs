namespace GeoLedger;

/// <summary>The preferred leader (members' priority) and its transfers; event ids 1500-1519.</summary>
internal static partial class LogMessages
{
    [LoggerMessage(1500, LogLevel.Information, "Handing leadership to {Target} (priority {Priority}, match index {MatchIndex}, commit index {CommitIndex}); gives up after {WindowMs} ms")]
    public static partial void LeaderTransferStarting(ILogger logger, string target, int priority, long matchIndex, long commitIndex, long windowMs);

    [LoggerMessage(1501, LogLevel.Information, "Leadership handed to {Target} in {TookMs} ms")]
    public static partial void LeaderTransferred(ILogger logger, string target, long tookMs);

    [LoggerMessage(1502, LogLevel.Warning, "Leadership transfer to {Target} failed after {TookMs} ms: {Reason}; next attempt in {BackoffMs} ms at the earliest")]
    public static partial void LeaderTransferFailed(ILogger logger, string target, long tookMs, string reason, long backoffMs);

    [LoggerMessage(1503, LogLevel.Information, "Preferred leader {Target} not taking over yet: {Verdict}")]
    public static partial void LeaderTransferWaiting(ILogger logger, string target, string verdict);

    [LoggerMessage(1504, LogLevel.Information, "Holding this node's election for {WindowMs} ms at most: {From} hands leadership to {Target}")]
    public static partial void ElectionHeld(ILogger logger, string from, string target, long windowMs);

    [LoggerMessage(1505, LogLevel.Information, "Election hold for {Target} ended; leader now {Leader}")]
    public static partial void ElectionHoldEnded(ILogger logger, string target, string leader);

    [LoggerMessage(1506, LogLevel.Warning, "Leader preference check failed: {Reason}")]
    public static partial void LeaderPreferenceCheckFailed(ILogger logger, string reason);
}
