using System.Net;

namespace GeoLedger.Cluster;

/// <summary>
/// Builds the HTTP handlers .NEXT uses to talk to other members: keep-alive connections that carry
/// the cluster secret, with a connect timeout tied to the election timeout.
/// </summary>
internal sealed class RaftHttpHandlerFactory(ClusterSecret secret, TimeSpan connectTimeout) : IHttpMessageHandlerFactory
{
    /// <summary>The handler name .NEXT is told to ask for.</summary>
    public const string Name = "geoledger-raft";

    public HttpMessageHandler CreateHandler(string name) => new ClusterSecretHandler(secret)
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
