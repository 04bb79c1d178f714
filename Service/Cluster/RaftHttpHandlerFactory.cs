using System.Net;

namespace GeoLedger.Cluster;

/// <summary>
/// Builds the HTTP handlers .NEXT uses to talk to other members: keep-alive connections that carry
/// the cluster secret, with connect and vote timeouts tied to the election timeout.
/// </summary>
internal sealed class RaftHttpHandlerFactory(ClusterSecret secret, TimeSpan connectTimeout, TimeSpan voteTimeout, IReadOnlyDictionary<string, DnsEndPoint>? via = null) : IHttpMessageHandlerFactory
{
    /// <summary>The handler name .NEXT is told to ask for.</summary>
    public const string Name = "geoledger-raft";

    public HttpMessageHandler CreateHandler(string name)
    {
        var sockets = new SocketsHttpHandler
        {
            ConnectTimeout = connectTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
            // Ours, not the handler's default: a peer resetting right after it accepted must fail as an HttpRequestException (ConnectedStream).
            ConnectCallback = ConnectedStream.Callback(via is { Count: > 0 } ? Via : null),
        };
        return new RaftRequestHandler(secret, voteTimeout) { InnerHandler = sockets };
    }

    /// <summary>Parses <c>Ledger:TestRaftVia</c> (<c>host:port=host:port,...</c>); empty when null.</summary>
    /// <exception cref="InvalidOperationException">An entry is not <c>host:port=host:port</c>.</exception>
    public static IReadOnlyDictionary<string, DnsEndPoint> ParseVia(string? text)
    {
        var result = new Dictionary<string, DnsEndPoint>(StringComparer.OrdinalIgnoreCase);
        foreach (var entry in (text ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (entry.Split('=') is not [var from, var to] || Endpoint(from) is null || Endpoint(to) is not { } target)
                throw new InvalidOperationException($"Ledger:TestRaftVia entry '{entry}' is not host:port=host:port");
            result[from] = target;
        }

        return result;
    }

    private EndPoint Via(DnsEndPoint asked) => via!.TryGetValue($"{asked.Host}:{asked.Port}", out var to) ? to : asked;

    private static DnsEndPoint? Endpoint(string text) =>
        text.LastIndexOf(':') is var colon and > 0 && int.TryParse(text[(colon + 1)..], out var port) && port is > 0 and < 65536
            ? new DnsEndPoint(text[..colon], port)
            : null;
}
