using System.Net;

namespace GeoLedger.Cluster;

/// <summary>
/// Builds the HTTP handlers .NEXT uses to talk to other members: keep-alive connections that carry
/// the cluster secret, with connect and vote timeouts tied to the election timeout.
/// </summary>
internal sealed class RaftHttpHandlerFactory(ClusterSecret secret, TimeSpan connectTimeout, TimeSpan voteTimeout, RaftVia? via = null) : IHttpMessageHandlerFactory
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
            ConnectCallback = ConnectedStream.Callback(via is { IsEmpty: false } routes ? asked => routes.Route(asked.Host, asked.Port) : null),
        };
        return new RaftRequestHandler(secret, voteTimeout) { InnerHandler = sockets };
    }
}
