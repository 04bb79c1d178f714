using Microsoft.Extensions.Logging;

namespace GeoLedger;

/// <summary>Every log line the service writes; event ids 1000-1999. Never logs a secret or a value.</summary>
internal static partial class LogMessages
{
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

    [LoggerMessage(1006, LogLevel.Warning, "Write of {Subject} has unknown outcome: {Reason}")]
    public static partial void WriteOutcomeUnknown(ILogger logger, string subject, string reason);

    [LoggerMessage(1007, LogLevel.Warning, "Authentication is off: Ledger:ApiTokens is empty, so anyone who reaches the client port can read and write")]
    public static partial void AuthenticationOff(ILogger logger);

    [LoggerMessage(1008, LogLevel.Warning, "Suppressed {Count} .NEXT log lines in the last minute (at most {Limit} a minute are written)")]
    public static partial void DotNextLinesSuppressed(ILogger logger, int count, int limit);

    // 1200-1299: the write-ahead log, snapshots and the state machine (Service/Storage, Service/Ledger).

    [LoggerMessage(1200, LogLevel.Warning, "Log tail cut at entry {Index} in {Segment}: {Bytes} bytes after it were written but never flushed before the process stopped (no acknowledged entry is among them)")]
    public static partial void LogTailCut(ILogger logger, long index, string segment, long bytes);

    [LoggerMessage(1201, LogLevel.Warning, "Could not prepare the next log segment in {Directory}: {Reason}; the next one will be created when needed")]
    public static partial void SparePreparationFailed(ILogger logger, string directory, string reason);

    [LoggerMessage(1202, LogLevel.Critical, "Flushing the write-ahead log in {Directory} failed: {Reason}. Nothing written since the last flush can be trusted; the node stops accepting entries")]
    public static partial void LogFlushFailed(ILogger logger, string directory, string reason);

    [LoggerMessage(1203, LogLevel.Critical, "Log entry {Index} cannot be decoded and was applied as a no-op on this node ({Reason}); every node skips it alike")]
    public static partial void UndecodableEntry(ILogger logger, long index, string reason);

    [LoggerMessage(1204, LogLevel.Information, "Snapshot {File} written at log index {Index} with {Keys} keys in {Milliseconds} ms (applying went on meanwhile)")]
    public static partial void SnapshotWrittenInBackground(ILogger logger, string file, long index, int keys, long milliseconds);

    [LoggerMessage(1205, LogLevel.Error, "Writing a snapshot at log index {Index} failed: {Reason}; the log keeps its entries and a snapshot is tried again in 10 s")]
    public static partial void SnapshotFailed(ILogger logger, long index, string reason);

    [LoggerMessage(1206, LogLevel.Information, "Installed snapshot {File} from the leader at log index {Index} in {Milliseconds} ms")]
    public static partial void SnapshotInstalled(ILogger logger, string file, long index, long milliseconds);

    [LoggerMessage(1207, LogLevel.Information, "Imported {Count} entries ({First}..{Last}) from the previous write-ahead log format in {Directory}")]
    public static partial void LogImported(ILogger logger, long count, long first, long last, string directory);

    [LoggerMessage(1209, LogLevel.Information, "Log entries from {Index} to {Last} replaced by the leader's (term {Term} at {Index} here, the leader's differs)")]
    public static partial void LogSuffixReplaced(ILogger logger, long index, long last, long? term);

    [LoggerMessage(1210, LogLevel.Information, "Snapshot at log index {Index} (term {Term}) from the leader replaces the whole log (it ended at {Last}, term there {LocalTerm})")]
    public static partial void LogReplacedBySnapshot(ILogger logger, long index, long term, long last, long? localTerm);

    [LoggerMessage(1208, LogLevel.Critical, "Applying log entry {Index} failed: {Reason}. This node stops applying; restart it")]
    public static partial void ApplyFailed(ILogger logger, long index, string reason);

    [LoggerMessage(1300, LogLevel.Information, "Backup at revision {Revision} with {Keys} keys sent")]
    public static partial void BackupServed(ILogger logger, long revision, int keys);

    [LoggerMessage(1301, LogLevel.Warning, "Backup at revision {Revision} was not sent whole ({Reason}): the client went away")]
    public static partial void BackupAbandoned(ILogger logger, long revision, string reason);

    [LoggerMessage(1302, LogLevel.Information, "Restored backup {From}: {Keys} keys at revision {Revision} into data folder {Data}. Restore every node of the new cluster from the same file before starting any")]
    public static partial void Restored(ILogger logger, string from, int keys, long revision, string data);

    [LoggerMessage(1303, LogLevel.Critical, "Restore refused, nothing written: {Reason}")]
    public static partial void RestoreRefused(ILogger logger, string reason);
}
