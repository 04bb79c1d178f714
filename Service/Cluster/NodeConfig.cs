namespace GeoLedger.Cluster;

/// <summary>The node config: which member this node is and who the members are.</summary>
/// <param name="Self">The id of this node; always one of <paramref name="Members"/>.</param>
/// <param name="Members">Every member of the cluster, this node included.</param>
/// <param name="Join">
/// The node is not a founding member (the Pulumi program writes it for nodes added later). Such a node,
/// like any node whose member list names members that do not list it, is a learner until the leader
/// adds it (POST /v1/cluster/members): nobody counts or asks its vote. Once the data folder holds a
/// member list, that list wins and the flag changes nothing.
/// </param>
public sealed record NodeConfig(string Self, IReadOnlyList<ClusterMember> Members, bool Join = false)
{
    /// <summary>The member this node is.</summary>
    public ClusterMember SelfMember => Members.First(m => m.Id == Self);

    /// <summary>The member leadership goes to when it can: the highest priority, the first listed of equals; null when no member has a priority.</summary>
    public ClusterMember? Preferred => Members.Any(m => m.Priority > 0) ? Members.MaxBy(m => m.Priority) : null;

    /// <summary>Finds a member by its Raft endpoint (scheme, host and port compared).</summary>
    public ClusterMember? FindByRaft(Uri raft) =>
        Members.FirstOrDefault(m => NodeConfigLoader.SameEndpoint(m.Raft, raft));
}
