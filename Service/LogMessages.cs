using Microsoft.Extensions.Logging;

namespace GeoLedger;

/// <summary>Every log line the service writes; event ids 1000-1999. Never logs a secret or a value.</summary>
internal static partial class LogMessages
{
    [LoggerMessage(1000, LogLevel.Information, "Snapshot written at revision {Revision} with {Keys} keys")]
    public static partial void SnapshotWritten(ILogger logger, long revision, int keys);

    [LoggerMessage(1001, LogLevel.Information, "State restored from snapshot {File} at revision {Revision} with {Keys} keys")]
    public static partial void SnapshotRestored(ILogger logger, long revision, int keys, string file);

    [LoggerMessage(1002, LogLevel.Information, "Node {Self} starting: client {Public}, Raft {Raft}, {Members} members, data in {DataDirectory}")]
    public static partial void NodeStarting(ILogger logger, string self, Uri @public, Uri raft, int members, string dataDirectory);

    [LoggerMessage(1003, LogLevel.Critical, "Node cannot start: {Reason}")]
    public static partial void StartupFailed(ILogger logger, string reason);

    [LoggerMessage(1004, LogLevel.Information, "Leader is now {Leader}")]
    public static partial void LeaderChanged(ILogger logger, string leader);

    [LoggerMessage(1005, LogLevel.Warning, "Rejected a Raft request from {Remote} without the right cluster secret (logged once per address)")]
    public static partial void ClusterSecretRejected(ILogger logger, string remote);

    [LoggerMessage(1006, LogLevel.Warning, "Write of key {Key} has unknown outcome: {Reason}")]
    public static partial void WriteOutcomeUnknown(ILogger logger, string key, string reason);

    [LoggerMessage(1007, LogLevel.Warning, "Authentication is off: Ledger:ApiTokens is empty, so anyone who reaches the client port can read and write")]
    public static partial void AuthenticationOff(ILogger logger);

    [LoggerMessage(1008, LogLevel.Warning, "Suppressed {Count} .NEXT log lines in the last minute (at most {Limit} a minute are written)")]
    public static partial void DotNextLinesSuppressed(ILogger logger, int count, int limit);
}
