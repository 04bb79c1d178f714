using Microsoft.Extensions.Logging;

namespace GeoLedger;

/// <summary>Membership changes and the stored member list (event ids 1600-1619).</summary>
internal static partial class LogMessages
{
    [LoggerMessage(1600, LogLevel.Information, "Member list seeded from the node config in {File}: {Members}")]
    public static partial void MemberListSeeded(ILogger logger, string file, string members);

    [LoggerMessage(1601, LogLevel.Warning, "The node config lists members {NodeConfig}, but the stored member list (version {Version}, in {File}) is {Stored}: the stored list is used, since membership changes made at runtime are kept there. Update the node config to match, or remove the file only on a node that must start over")]
    public static partial void MemberListDiffers(ILogger logger, string nodeConfig, long version, string file, string stored);

    [LoggerMessage(1602, LogLevel.Information, "Member list version {Version} stored: {Members}")]
    public static partial void MemberListStored(ILogger logger, long version, string members);

    [LoggerMessage(1603, LogLevel.Warning, "Node {Self} is not a voting member any more: {Reason}. It answers the client API with 410 until it is added again")]
    public static partial void NodeRemoved(ILogger logger, string self, string reason);

    [LoggerMessage(1604, LogLevel.Information, "Membership change started: {Change} {Id} (Raft {Raft})")]
    public static partial void MembershipChangeStarted(ILogger logger, string change, string id, Uri raft);

    [LoggerMessage(1605, LogLevel.Information, "Membership change of {Id} ended: {Outcome}")]
    public static partial void MembershipChangeEnded(ILogger logger, string id, string outcome);

    [LoggerMessage(1606, LogLevel.Warning, "Membership change of {Id} has unknown outcome: {Reason}")]
    public static partial void MembershipChangeUnknown(ILogger logger, string id, string reason);
}
