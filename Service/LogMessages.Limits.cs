namespace GeoLedger;

/// <summary>The node's limits (connections, bytes in flight); event ids 1100-1119.</summary>
internal static partial class LogMessages
{
    [LoggerMessage(1100, LogLevel.Warning, "Connection caps lowered to fit the open-file limit of {FileLimit}: client port {Client}, Raft port {Raft}. Raise LimitNOFILE (65536 recommended)")]
    public static partial void ConnectionCapsLowered(ILogger logger, long fileLimit, int client, int raft);

    [LoggerMessage(1101, LogLevel.Warning, "The {Port} port holds its cap of {Limit} connections: idle ones are closed for new ones ({Evicted} so far), new ones wait while all are busy; logged at most once a minute")]
    public static partial void ConnectionCapReached(ILogger logger, string port, int limit, long evicted);
}
