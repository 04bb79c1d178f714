using System.Net.Http.Json;
using System.Text.Json;
using GeoLedger.Cluster;

namespace GeoLedger.LocalCluster;

/// <summary>A running local cluster: its node processes and the questions tests ask of it.</summary>
public sealed class LocalClusterNodes : IAsyncDisposable
{
    private readonly List<NodeProcess> nodes;
    private readonly IReadOnlyDictionary<string, string> settings;
    private readonly Action<string>? output;

    private LocalClusterNodes(ClusterLayout layout, List<NodeProcess> nodes, IReadOnlyDictionary<string, string> settings, Action<string>? output)
    {
        Layout = layout;
        this.nodes = nodes;
        this.settings = settings;
        this.output = output;
    }

    /// <summary>Where the nodes keep their data.</summary>
    public ClusterLayout Layout { get; }

    /// <summary>The node processes, in member order, then the nodes started to join.</summary>
    public IReadOnlyList<NodeProcess> Nodes => nodes;

    /// <summary>An HTTP client for talking to the nodes (no automatic redirects).</summary>
    public HttpClient Http { get; } = NodeHttp.Create(TimeSpan.FromSeconds(30), followRedirects: false);

    /// <summary>Writes the node configs and starts every node.</summary>
    /// <param name="layout">The members and data folders.</param>
    /// <param name="settings">Extra settings for every node (or per node, via <paramref name="perNode"/>).</param>
    /// <param name="output">Receives every prefixed output line.</param>
    /// <param name="perNode">Extra settings for one node, by id.</param>
    /// <param name="launchPrefix">The command each node runs under, by id (e.g. <c>ip netns exec ...</c>).</param>
    public static LocalClusterNodes Start(ClusterLayout layout, IReadOnlyDictionary<string, string>? settings = null, Action<string>? output = null, Func<string, IReadOnlyDictionary<string, string>?>? perNode = null, Func<string, IReadOnlyList<string>>? launchPrefix = null)
    {
        layout.WriteNodeConfigs();
        var nodes = layout.Nodes.Select(spec =>
        {
            var merged = new Dictionary<string, string>(settings ?? new Dictionary<string, string>());
            foreach (var (k, v) in perNode?.Invoke(spec.Id) ?? new Dictionary<string, string>())
                merged[k] = v;
            return new NodeProcess(spec, merged, output, launchPrefix: launchPrefix?.Invoke(spec.Id));
        }).ToList();
        foreach (var node in nodes)
            node.Start();
        return new LocalClusterNodes(layout, nodes, settings ?? new Dictionary<string, string>(), output);
    }

    /// <summary>
    /// Starts a new node on loopback with an empty data folder and a node config listing
    /// <paramref name="members"/> (the cluster's current voters) plus itself: ready to be added with
    /// <c>POST /v1/cluster/members</c>. It catches up as a learner once the leader adds it.
    /// </summary>
    /// <param name="id">The new member's id (a data folder of that name in the layout's root must not hold data).</param>
    /// <param name="members">The current voting members.</param>
    /// <param name="extra">Settings for this node on top of the cluster's.</param>
    public NodeProcess StartJoining(string id, IReadOnlyList<ClusterMember> members, IReadOnlyDictionary<string, string>? extra = null)
    {
        var host = members.Count > 0 ? members[0].Raft.Host : "127.0.0.1";
        var member = new ClusterMember(id, "local", new Uri($"http://{host}:{PortAllocator.Next()}/"), new Uri($"http://{host}:{PortAllocator.Next()}/"));
        return StartJoining(new NodeSpec(member, Path.Combine(Layout.Root, id)), members, extra);
    }

    /// <summary>Starts <paramref name="spec"/> (its data folder as it is: empty for a new node) with the members plus itself in its node config.</summary>
    public NodeProcess StartJoining(NodeSpec spec, IReadOnlyList<ClusterMember> members, IReadOnlyDictionary<string, string>? extra = null)
    {
        Directory.CreateDirectory(Layout.Root);
        var config = NodeConfigLoader.Validate(new NodeConfig(spec.Id, [.. members.Where(m => m.Id != spec.Id), spec.Member]));
        File.WriteAllText(spec.NodeConfigPath, NodeConfigLoader.Render(config));
        var merged = new Dictionary<string, string>(settings);
        foreach (var (k, v) in extra ?? new Dictionary<string, string>())
            merged[k] = v;
        var node = new NodeProcess(spec, merged, output);
        nodes.RemoveAll(n => n.Id == spec.Id && !n.IsRunning);
        nodes.Add(node);
        node.Start();
        return node;
    }

    /// <summary>The voting members as <paramref name="node"/> lists them in <c>/v1/cluster</c>.</summary>
    public async Task<IReadOnlyList<ClusterMember>> MembersSeenByAsync(NodeProcess node, CancellationToken token = default)
    {
        var doc = await Http.GetFromJsonAsync<JsonElement>(new Uri(node.PublicUrl, "/v1/cluster"), token).ConfigureAwait(false);
        return doc.GetProperty("members").EnumerateArray()
            .Select(m => new ClusterMember(m.GetProperty("id").GetString()!, m.GetProperty("region").GetString()!, new Uri(m.GetProperty("raft").GetString()!), new Uri(m.GetProperty("public").GetString()!)))
            .ToList();
    }

    /// <summary>The node with this id.</summary>
    public NodeProcess this[string id] => Nodes.Single(n => n.Id == id);

    /// <summary>
    /// Waits until every running, unpaused node in <paramref name="among"/> (default: all running)
    /// names the same leader, which is itself one of them, and returns that leader.
    /// </summary>
    /// <exception cref="TimeoutException">No agreement within <paramref name="timeout"/>.</exception>
    public async Task<NodeProcess> WaitForLeaderAsync(TimeSpan timeout, IReadOnlyCollection<NodeProcess>? among = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        var asked = among ?? Nodes.Where(n => n.IsRunning).ToList();
        while (DateTime.UtcNow < deadline)
        {
            var leaders = new HashSet<string>();
            foreach (var node in asked)
                leaders.Add(await LeaderSeenByAsync(node).ConfigureAwait(false) ?? "");
            if (leaders.Count == 1 && leaders.Single() is { Length: > 0 } id && asked.Any(n => n.Id == id))
                return this[id];
            await Task.Delay(25).ConfigureAwait(false);
        }

        throw new TimeoutException($"The nodes did not agree on a leader within {timeout.TotalSeconds:0} s");
    }

    /// <summary>The leader id a node reports in <c>/v1/cluster</c>, or null when it names none or does not answer.</summary>
    public async Task<string?> LeaderSeenByAsync(NodeProcess node)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            var doc = await Http.GetFromJsonAsync<JsonElement>(new Uri(node.PublicUrl, "/v1/cluster"), cts.Token).ConfigureAwait(false);
            return doc.GetProperty("leader") is { ValueKind: JsonValueKind.Object } leader ? leader.GetProperty("id").GetString() : null;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or JsonException)
        {
            return null;
        }
    }

    /// <summary>Stops every node (SIGTERM, then SIGKILL after a grace period).</summary>
    public async Task StopAllAsync()
    {
        await Task.WhenAll(Nodes.Select(n => n.StopAsync())).ConfigureAwait(false);
    }

    /// <summary>Kills every node and releases the client.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
            await node.DisposeAsync().ConfigureAwait(false);
        Http.Dispose();
    }
}
