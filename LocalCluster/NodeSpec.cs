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

    /// <summary>
    /// Index of the newest snapshot in the node's data folder (files named <c>index-term</c> in
    /// <c>snapshots/</c>), or 0 when there is none.
    /// </summary>
    public long NewestSnapshotIndex()
    {
        var folder = Path.Combine(DataDirectory, "snapshots");
        return Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder)
                .Select(f => Path.GetFileName(f).Split('-'))
                .Select(parts => parts.Length == 2 && long.TryParse(parts[0], out var index) ? index : 0)
                .DefaultIfEmpty(0)
                .Max()
            : 0;
    }
}
