namespace GeoLedger.Cluster;

/// <summary>One member of the cluster as the node config names it.</summary>
/// <param name="Id">Stable member id, e.g. <c>eastus-0</c>.</param>
/// <param name="Region">Region the member runs in (informational; shown by <c>/v1/cluster</c>).</param>
/// <param name="Raft">The member's Raft endpoint (private network), always with path <c>/</c>.</param>
/// <param name="Public">The URL clients use to reach the member's API.</param>
/// <param name="Priority">
/// Leader preference, 0 to <see cref="MaxPriority"/> (absent: 0): a leader hands leadership to a caught-up member of
/// higher priority (<see cref="LeaderPreference"/>).
/// </param>
public sealed record ClusterMember(string Id, string Region, Uri Raft, Uri Public, int Priority = 0)
{
    /// <summary>The highest priority a member may have.</summary>
    public const int MaxPriority = 1000;
}
