using System.Net.Http.Json;
using System.Text.Json;

namespace GeoLedger.LocalCluster;

/// <summary>A running local cluster: its node processes and the questions tests ask of it.</summary>
public sealed class LocalClusterNodes : IAsyncDisposable
{
    private LocalClusterNodes(ClusterLayout layout, IReadOnlyList<NodeProcess> nodes)
    {
        Layout = layout;
        Nodes = nodes;
    }

    /// <summary>Where the nodes keep their data.</summary>
    public ClusterLayout Layout { get; }

    /// <summary>The node processes, in member order.</summary>
    public IReadOnlyList<NodeProcess> Nodes { get; }

    /// <summary>An HTTP client for talking to the nodes (no automatic redirects).</summary>
    public HttpClient Http { get; } = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };

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
        return new LocalClusterNodes(layout, nodes);
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
