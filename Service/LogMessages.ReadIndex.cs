namespace GeoLedger;

/// <summary>Read-index datagrams (<see cref="GeoLedger.Cluster.ReadIndexDatagram"/>); event ids 1700-1719.</summary>
internal static partial class LogMessages
{
    [LoggerMessage(1700, LogLevel.Warning, "Read-index datagrams cannot bind UDP {EndPoint} ({Error}): followers asking this node use HTTP")]
    public static partial void ReadIndexDatagramsUnbound(ILogger logger, string endPoint, string error);

    [LoggerMessage(1701, LogLevel.Error, "Answering a read-index datagram failed; the follower asks again over HTTP")]
    public static partial void ReadIndexDatagramFailed(ILogger logger, Exception exception);

    [LoggerMessage(1702, LogLevel.Information, "Read-index datagrams to the leader went unanswered three times in a row: HTTP for the next {Seconds} s")]
    public static partial void ReadIndexDatagramsOff(ILogger logger, int seconds);
}
