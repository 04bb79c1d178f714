using System.Net;
using System.Net.Sockets;

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
        };
        if (via is { Count: > 0 })
            sockets.ConnectCallback = ConnectViaAsync;
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

    private async ValueTask<Stream> ConnectViaAsync(SocketsHttpConnectionContext context, CancellationToken token)
    {
        var target = via!.TryGetValue($"{context.DnsEndPoint.Host}:{context.DnsEndPoint.Port}", out var to) ? to : context.DnsEndPoint;
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(target, token).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static DnsEndPoint? Endpoint(string text) =>
        text.LastIndexOf(':') is var colon and > 0 && int.TryParse(text[(colon + 1)..], out var port) && port is > 0 and < 65536
            ? new DnsEndPoint(text[..colon], port)
            : null;
}
