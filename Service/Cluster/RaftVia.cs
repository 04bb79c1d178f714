using System.Collections.Concurrent;
using System.Net;

namespace GeoLedger.Cluster;

/// <summary>
/// <c>Ledger:TestRaftVia</c>: where this node reaches a member's Raft port instead of the member's own address
/// (<c>host:port=host:port,...</c>; the geo cluster puts a delaying proxy on each route). Empty in production.
/// Connections (<see cref="RaftHttpHandlerFactory"/>), acknowledgement datagrams (<see cref="LeaderDatagramEndpoint"/>) and
/// read-index questions (<see cref="ReadIndex"/>) take the same route.
/// </summary>
public sealed class RaftVia
{
    private readonly Dictionary<string, DnsEndPoint> routes = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<Uri, IPEndPoint?> datagramEndpoints = new(); // one per member URL, looked up on every datagram

    /// <summary>True when no member is reached through another address.</summary>
    public bool IsEmpty => routes.Count == 0;

    /// <summary>Parses <c>Ledger:TestRaftVia</c>; no route when null or empty.</summary>
    /// <exception cref="InvalidOperationException">An entry is not <c>host:port=host:port</c>.</exception>
    public static RaftVia Parse(string? text)
    {
        var via = new RaftVia();
        foreach (var entry in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (entry.Split('=') is not [var from, var to] || Endpoint(from) is null || Endpoint(to) is not { } target)
                throw new InvalidOperationException($"Ledger:TestRaftVia entry '{entry}' is not host:port=host:port");
            via.routes[from] = target;
        }

        return via;
    }

    /// <summary>Where to reach <paramref name="host"/>:<paramref name="port"/>: its route, else itself.</summary>
    public DnsEndPoint Route(string host, int port) =>
        routes.TryGetValue($"{host}:{port}", out var to) ? to : new DnsEndPoint(host, port);

    /// <summary>The UDP endpoint of the port a member's Raft URL names, as routed; null when that host is not an IP address (members' URLs are).</summary>
    public IPEndPoint? DatagramEndpoint(Uri raft) => datagramEndpoints.GetOrAdd(raft, static (uri, via) =>
        via.Route(uri.DnsSafeHost, uri.Port) is var to && IPAddress.TryParse(to.Host, out var address) ? new IPEndPoint(address, to.Port) : null, this);

    private static DnsEndPoint? Endpoint(string text) =>
        text.LastIndexOf(':') is var colon and > 0 && int.TryParse(text[(colon + 1)..], out var port) && port is > 0 and < 65536
            ? new DnsEndPoint(text[..colon], port)
            : null;
}
