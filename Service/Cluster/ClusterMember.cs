namespace GeoLedger.Cluster;

/// <summary>One member of the cluster as the node config names it.</summary>
/// <param name="Id">Stable member id, e.g. <c>eastus-0</c>.</param>
/// <param name="Region">Region the member runs in (informational; shown by <c>/v1/cluster</c>).</param>
/// <param name="Raft">The member's Raft endpoint (private network), always with path <c>/</c>.</param>
/// <param name="Public">The URL clients use to reach the member's API.</param>
public sealed record ClusterMember(string Id, string Region, Uri Raft, Uri Public);
