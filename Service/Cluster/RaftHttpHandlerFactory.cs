using System.Net;

namespace GeoLedger.Cluster;

/// <summary>
/// Builds the HTTP handlers .NEXT uses to talk to other members: keep-alive connections that carry
/// the cluster secret, with connect and vote timeouts tied to the election timeout.
/// </summary>
internal sealed class RaftHttpHandlerFactory(ClusterSecret secret, TimeSpan connectTimeout, TimeSpan voteTimeout) : IHttpMessageHandlerFactory
{
    /// <summary>The handler name .NEXT is told to ask for.</summary>
    public const string Name = "geoledger-raft";

    public HttpMessageHandler CreateHandler(string name) => new RaftRequestHandler(secret, voteTimeout)
    {
        InnerHandler = new SocketsHttpHandler
        {
            ConnectTimeout = connectTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
        },
    };
}
