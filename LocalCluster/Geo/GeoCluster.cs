using System.Globalization;
using System.Net;
using GeoLedger.Cluster;
using GeoLedger.Infra.Plan;

namespace GeoLedger.LocalCluster.Geo;

/// <summary>
/// A local cluster spread over pretend regions: every Raft link goes through a <see cref="DelayProxy"/>
/// that delays each direction by half the regions' round trip, and clients pick a region through
/// client proxies delayed the same way. Members keep their real Raft URLs (.NEXT names a member by
/// it); each node dials its peers through its own proxies (the node setting <c>Ledger:TestRaftVia</c>),
/// so A's messages to B and B's answers on that connection both take delay(A, B). The nodes get the
/// geo Raft profile the Pulumi plan would give these regions.
/// </summary>
public sealed class GeoCluster : IAsyncDisposable
{
    private readonly List<DelayProxy> proxies;
    private readonly List<DelayProxy> raftProxies;
    private readonly Dictionary<(string Region, string Node), DelayProxy> clientProxies;

    private GeoCluster(IReadOnlyList<string> regions, LocalClusterNodes nodes, RaftTimeouts profile, List<DelayProxy> proxies, List<DelayProxy> raftProxies, Dictionary<(string, string), DelayProxy> clientProxies)
    {
        this.raftProxies = raftProxies;
        Regions = regions;
        Nodes = nodes;
        Profile = profile;
        this.proxies = proxies;
        this.clientProxies = clientProxies;
    }

    /// <summary>The regions, in the order given.</summary>
    public IReadOnlyList<string> Regions { get; }

    /// <summary>The node processes (ids <c>region-k</c>).</summary>
    public LocalClusterNodes Nodes { get; }

    /// <summary>The Raft timeouts every node got (the plan's geo profile for the worst round trip).</summary>
    public RaftTimeouts Profile { get; }

    /// <summary>
    /// Connections the Raft proxies took so far: 0 once a leader is elected means the nodes dial their
    /// peers directly (a node build without <c>Ledger:TestRaftVia</c>), so Raft links are not delayed.
    /// </summary>
    public int RaftConnections => raftProxies.Sum(p => p.Accepted);

    /// <summary>The most any proxy of this cluster released bytes after their time (see <see cref="DelayProxy.MaxLateness"/>).</summary>
    public TimeSpan MaxLinkLateness => proxies.Max(p => p.MaxLateness);

    /// <summary>
    /// Starts <paramref name="perRegion"/> nodes in each region. Client ports are <paramref name="clientBase"/>+i,
    /// Raft ports +2000, client proxies from +1000 (region by region); free ports when null. Raft proxies take free ports.
    /// </summary>
    /// <param name="root">Data folder of every node.</param>
    /// <param name="regions">Known regions of <see cref="RegionRtt"/>, each once.</param>
    /// <param name="perRegion">Nodes per region.</param>
    /// <param name="clientBase">First client port, or null for free ports.</param>
    /// <param name="settings">Extra settings for every node.</param>
    /// <param name="output">Receives every prefixed output line.</param>
    public static GeoCluster Start(string root, IReadOnlyList<string> regions, int perRegion = 1, int? clientBase = null, IReadOnlyDictionary<string, string>? settings = null, Action<string>? output = null)
    {
        GeoLinks.Validate(regions);
        ArgumentOutOfRangeException.ThrowIfLessThan(perRegion, 1);
        var count = regions.Count * perRegion;
        if (count > LedgerNode.MaxMembers)
            throw new ArgumentException($"{regions.Count} regions x {perRegion} nodes = {count} members; GeoLedger takes at most {LedgerNode.MaxMembers}");

        var members = new List<ClusterMember>();
        foreach (var region in regions)
        {
            for (var k = 0; k < perRegion; k++)
            {
                var i = members.Count;
                var clientPort = clientBase is { } c ? c + i : PortAllocator.Next();
                var raftPort = clientBase is { } r ? r + 2000 + i : PortAllocator.Next();
                members.Add(new ClusterMember($"{region}-{k}", region, new Uri($"http://127.0.0.1:{raftPort}/"), new Uri($"http://127.0.0.1:{clientPort}/")));
            }
        }

        var proxies = new List<DelayProxy>();
        var raftProxies = new List<DelayProxy>();
        var clientProxies = new Dictionary<(string, string), DelayProxy>();
        var via = new Dictionary<string, string>();
        try
        {
            // A's connections to B's Raft port go to a proxy of their own, delayed by delay(A, B) both ways.
            foreach (var from in members)
            {
                var routes = new List<string>();
                foreach (var to in members.Where(m => m != from))
                {
                    // With datagrams: A's acknowledgements and read-index questions to B, and B's answers, take the link's delay too.
                    var proxy = DelayProxy.StartWithDatagrams(new IPEndPoint(IPAddress.Loopback, to.Raft.Port), GeoLinks.OneWay(from.Region, to.Region));
                    proxies.Add(proxy);
                    raftProxies.Add(proxy);
                    routes.Add($"{to.Raft.Host}:{to.Raft.Port}=127.0.0.1:{proxy.Port}");
                }

                via[from.Id] = string.Join(',', routes);
            }

            // A client in region X reaching node Y: delay(X, region of Y).
            var next = clientBase is { } b ? b + 1000 : 0;
            foreach (var region in regions)
            {
                foreach (var node in members)
                {
                    var proxy = DelayProxy.Start(new IPEndPoint(IPAddress.Loopback, node.Public.Port), GeoLinks.OneWay(region, node.Region), next == 0 ? 0 : next++);
                    proxies.Add(proxy);
                    clientProxies[(region, node.Id)] = proxy;
                }
            }

            var worst = regions.SelectMany(a => regions.Select(b => GeoLinks.RttMs(a, b))).Max();
            var profile = RaftTimeouts.ForRtt(worst);
            var common = new Dictionary<string, string>();
            foreach (var (key, value) in profile.ToEnvironment())
                common[key] = value;
            foreach (var (key, value) in settings ?? new Dictionary<string, string>())
                common[key] = value;
            var layout = ClusterLayout.FromMembers(root, members);
            var nodes = LocalClusterNodes.Start(layout, common, output, perNode: id => new Dictionary<string, string> { ["Ledger:TestRaftVia"] = via[id] });
            return new GeoCluster(regions, nodes, profile, proxies, raftProxies, clientProxies);
        }
        catch
        {
            foreach (var proxy in proxies)
                proxy.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    /// <summary>The region of node <paramref name="node"/>.</summary>
    public string RegionOf(NodeProcess node) => node.Spec.Member.Region;

    /// <summary>The URL a client in <paramref name="clientRegion"/> uses to reach <paramref name="node"/> (through a delaying proxy).</summary>
    public Uri ClientUrl(string clientRegion, NodeProcess node) => clientProxies[(clientRegion, node.Id)].Url;

    /// <summary>
    /// Maps a node's public URL (as a 307 names the leader) to the proxy a client in
    /// <paramref name="clientRegion"/> uses for that node, path and query kept; other URLs unchanged.
    /// </summary>
    public Uri ForClientIn(string clientRegion, Uri url)
    {
        var node = Nodes.Nodes.FirstOrDefault(n => NodeConfigLoader.SameEndpoint(n.PublicUrl, url));
        return node is null ? url : new UriBuilder(url) { Port = clientProxies[(clientRegion, node.Id)].Port }.Uri;
    }

    /// <summary>One line per region pair: the round trip and one-way delay applied.</summary>
    public IEnumerable<string> DescribeLinks()
    {
        for (var i = 0; i < Regions.Count; i++)
            for (var j = i + 1; j < Regions.Count; j++)
                yield return string.Create(CultureInfo.InvariantCulture, $"{Regions[i]} <-> {Regions[j]}: RTT {GeoLinks.RttMs(Regions[i], Regions[j])} ms ({GeoLinks.OneWay(Regions[i], Regions[j]).TotalMilliseconds:0.#} ms each way)");
    }

    /// <summary>Stops the nodes (SIGTERM) and then the proxies.</summary>
    public async Task StopAsync()
    {
        await Nodes.StopAllAsync().ConfigureAwait(false);
        await DisposeProxiesAsync().ConfigureAwait(false);
    }

    /// <summary>Kills the nodes and closes the proxies.</summary>
    public async ValueTask DisposeAsync()
    {
        await Nodes.DisposeAsync().ConfigureAwait(false);
        await DisposeProxiesAsync().ConfigureAwait(false);
    }

    private async Task DisposeProxiesAsync()
    {
        foreach (var proxy in proxies)
            await proxy.DisposeAsync().ConfigureAwait(false);
        proxies.Clear();
    }
}
