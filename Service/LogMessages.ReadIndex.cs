namespace GeoLedger;

/// <summary>The Raft port's datagrams (<see cref="GeoLedger.Cluster.RaftDatagramServer"/>); event ids 1700-1719.</summary>
internal static partial class LogMessages
{
    [LoggerMessage(1700, LogLevel.Warning, "Raft datagrams cannot bind UDP {EndPoint} ({Error}): read indices and acknowledgements for this node go over HTTP alone")]
    public static partial void RaftDatagramsUnbound(ILogger logger, string endPoint, string error);

    [LoggerMessage(1701, LogLevel.Error, "Handling a Raft datagram failed; the HTTP exchange beside it decides")]
    public static partial void RaftDatagramFailed(ILogger logger, Exception exception);

    [LoggerMessage(1702, LogLevel.Information, "Read-index datagrams to the leader went unanswered three times in a row: HTTP for the next {Seconds} s")]
    public static partial void ReadIndexDatagramsOff(ILogger logger, int seconds);
}
