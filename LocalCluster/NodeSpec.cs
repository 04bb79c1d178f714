using GeoLedger.Cluster;

namespace GeoLedger.LocalCluster;

/// <summary>One local node: its member entry and its data folder.</summary>
/// <param name="Member">The member as every node config lists it.</param>
/// <param name="DataDirectory">The node's own data folder.</param>
public sealed record NodeSpec(ClusterMember Member, string DataDirectory)
{
    /// <summary>The member id.</summary>
    public string Id => Member.Id;

    /// <summary>Where the node's config file is written (inside its data folder's parent, next to it).</summary>
    public string NodeConfigPath => DataDirectory + ".node.json";
}
