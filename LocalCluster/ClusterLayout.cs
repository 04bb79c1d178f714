using GeoLedger.Cluster;

namespace GeoLedger.LocalCluster;

/// <summary>The members of a local cluster and where each keeps its data; renders every node config.</summary>
public sealed class ClusterLayout
{
    private ClusterLayout(string root, IReadOnlyList<NodeSpec> nodes)
    {
        Root = root;
        Nodes = nodes;
    }

    /// <summary>The folder holding every node's data folder and config.</summary>
    public string Root { get; }

    /// <summary>The nodes, in member order.</summary>
    public IReadOnlyList<NodeSpec> Nodes { get; }

    /// <summary>
    /// <paramref name="count"/> nodes on loopback named <c>node-0</c>..; client and Raft ports are
    /// taken from <paramref name="ports"/> in pairs (or allocated free when null).
    /// </summary>
    public static ClusterLayout OnLoopback(string root, int count, IReadOnlyList<int>? ports = null, string host = "127.0.0.1")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (ports is not null && ports.Count < 2 * count)
            throw new ArgumentException($"{count} nodes need {2 * count} ports", nameof(ports));
        var nodes = new List<NodeSpec>();
        for (var i = 0; i < count; i++)
        {
            var clientPort = ports?[2 * i] ?? PortAllocator.Next();
            var raftPort = ports?[2 * i + 1] ?? PortAllocator.Next();
            var member = new ClusterMember($"node-{i}", "local", new Uri($"http://{host}:{raftPort}/"), new Uri($"http://{host}:{clientPort}/"));
            nodes.Add(new NodeSpec(member, Path.Combine(root, member.Id)));
        }

        return new ClusterLayout(Path.GetFullPath(root), nodes);
    }

    /// <summary>
    /// One node per host address (e.g. each in its own network namespace), all on the same client
    /// and Raft ports, named <c>node-0</c>...
    /// </summary>
    public static ClusterLayout OnHosts(string root, IReadOnlyList<string> hosts, int clientPort, int raftPort)
    {
        var nodes = hosts.Select((host, i) =>
        {
            var member = new ClusterMember($"node-{i}", "local", new Uri($"http://{host}:{raftPort}/"), new Uri($"http://{host}:{clientPort}/"));
            return new NodeSpec(member, Path.Combine(root, member.Id));
        }).ToList();
        return new ClusterLayout(Path.GetFullPath(root), nodes);
    }

    /// <summary>These members (e.g. named after their regions), each with a data folder named after its id under <paramref name="root"/>.</summary>
    public static ClusterLayout FromMembers(string root, IReadOnlyList<ClusterMember> members) =>
        new(Path.GetFullPath(root), members.Select(m => new NodeSpec(m, Path.Combine(root, m.Id))).ToList());

    /// <summary>The same layout with each member's leader <c>priority</c> (by id; members not named keep theirs).</summary>
    public ClusterLayout WithPriorities(IReadOnlyDictionary<string, int> priorities) =>
        new(Root, Nodes.Select(n => priorities.TryGetValue(n.Id, out var p) ? n with { Member = n.Member with { Priority = p } } : n).ToList());

    /// <summary>Writes each node's config file (the same schema and loader a VM uses).</summary>
    public void WriteNodeConfigs()
    {
        Directory.CreateDirectory(Root);
        var members = Nodes.Select(n => n.Member).ToList();
        foreach (var node in Nodes)
        {
            var config = NodeConfigLoader.Validate(new NodeConfig(node.Id, members));
            File.WriteAllText(node.NodeConfigPath, NodeConfigLoader.Render(config));
        }
    }
}
