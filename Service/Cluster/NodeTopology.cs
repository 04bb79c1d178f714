using System.Net;
using GeoLedger.Ledger;

namespace GeoLedger.Cluster;

/// <summary>Where a node listens: one endpoint per client URL, one for Raft.</summary>
/// <param name="Address">The local address to bind.</param>
/// <param name="Port">The port.</param>
/// <param name="Https">Whether the listener uses TLS (Kestrel's configured default certificate).</param>
public sealed record ListenEndpoint(IPAddress Address, int Port, bool Https);

/// <summary>This node's place in the cluster and the sockets it opens, resolved once at start.</summary>
/// <param name="Config">The member list and which member this node is.</param>
/// <param name="Client">Client API listeners.</param>
/// <param name="Raft">The Raft listener.</param>
public sealed record NodeTopology(NodeConfig Config, IReadOnlyList<ListenEndpoint> Client, ListenEndpoint Raft)
{
    /// <summary>The default client URL of a single node.</summary>
    public const string DefaultSingleNodeUrl = "http://127.0.0.1:5080";

    /// <summary>This member.</summary>
    public ClusterMember Self => Config.SelfMember;

    /// <summary>
    /// Resolves the topology from, in order: <c>Ledger:NodeConfig</c>; the article's <c>--members:N</c>
    /// command line; otherwise a single node on <c>urls</c> with Raft on loopback.
    /// </summary>
    /// <exception cref="NodeConfigException">The configuration is contradictory or incomplete.</exception>
    public static NodeTopology Resolve(IConfiguration configuration, LedgerOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.NodeConfig))
        {
            var config = NodeConfigLoader.Load(options.NodeConfig);
            var self = config.SelfMember;
            return new NodeTopology(config, [ListenFor(self.Public)], ListenFor(self.Raft));
        }

        var urls = ParseUrls(configuration["urls"] ?? DefaultSingleNodeUrl);
        var articleMembers = configuration.GetSection("members").GetChildren()
            .OrderBy(c => int.TryParse(c.Key, out var i) ? i : int.MaxValue)
            .Select(c => c.Value ?? "")
            .ToList();
        if (articleMembers.Count > 0)
        {
            var hint = configuration["hostAddressHint"]
                ?? throw new NodeConfigException("--members:N is given without --hostAddressHint: name this node's address");
            var config = NodeConfigLoader.FromArticleCommandLine(articleMembers, hint, urls[0].Port, options.RaftPort);
            return new NodeTopology(config, urls.Select(u => ListenFor(u)).ToList(), ListenFor(config.SelfMember.Raft));
        }

        var raft = new Uri($"http://127.0.0.1:{options.RaftPort}/");
        var single = NodeConfigLoader.Validate(new NodeConfig("node-0", [new ClusterMember("node-0", "local", raft, urls[0])]));
        return new NodeTopology(single, urls.Select(u => ListenFor(u)).ToList(), new ListenEndpoint(IPAddress.Loopback, options.RaftPort, false));
    }

    /// <summary>
    /// A node never binds its public host (a VM does not own its public IP or DNS name): it listens
    /// on every interface, except for a loopback host, which it binds exactly so that several local
    /// nodes (127.0.0.1, 127.0.0.2, ...) can share a port, and so that a loopback Raft port without a
    /// cluster secret is reachable from this machine only.
    /// </summary>
    public static ListenEndpoint ListenFor(Uri url) =>
        new(LoopbackAddress(url) ?? IPAddress.Any, url.Port, url.Scheme == Uri.UriSchemeHttps);

    /// <summary>
    /// The one definition of loopback, for what a node binds and for whether Raft may run without a
    /// cluster secret: the host <c>localhost</c> (bound as 127.0.0.1), an IPv4 address in 127.0.0.0/8,
    /// <c>::1</c>, or an IPv4-mapped 127.x address (bound as its IPv4 form). Null for anything else, which
    /// a node binds on every interface.
    /// </summary>
    public static IPAddress? LoopbackAddress(Uri url)
    {
        if (url.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            return IPAddress.Loopback;
        if (!IPAddress.TryParse(url.Host.Trim('[', ']'), out var ip))
            return null;
        if (ip.IsIPv4MappedToIPv6)
            ip = ip.MapToIPv4();
        return IPAddress.IsLoopback(ip) ? ip : null;
    }

    /// <summary>Parses ASP.NET Core's <c>urls</c> setting (<c>;</c>-separated; <c>+</c>, <c>*</c> and <c>0.0.0.0</c> mean any address).</summary>
    /// <exception cref="NodeConfigException">An entry is not an http(s) URL with a port.</exception>
    public static IReadOnlyList<Uri> ParseUrls(string urls)
    {
        var result = new List<Uri>();
        foreach (var raw in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var normalized = raw.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal);
            if (!Uri.TryCreate(normalized, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
                throw new NodeConfigException($"urls entry '{raw}' is not an http(s) URL such as http://127.0.0.1:5080");
            if (url.Host == "localhost")
                url = new UriBuilder(url) { Host = "127.0.0.1" }.Uri;
            result.Add(url);
        }

        return result.Count > 0 ? result : throw new NodeConfigException("urls is empty: give at least one URL such as http://127.0.0.1:5080");
    }
}
