using GeoLedger.Cluster;

namespace GeoLedger.LocalCluster;

/// <summary>
/// The HTTP clients tools and tests talk to nodes with (the local cluster's own, the fault suite's nemesis, watchers
/// and checks, the benchmark's control calls): no proxy, and every connection made through
/// <see cref="ConnectedStream"/>, so a node killed right after it accepted fails the request as an
/// <see cref="HttpRequestException"/> instead of throwing past the caller. Load clients keep their own settings.
/// </summary>
public static class NodeHttp
{
    /// <summary>A client whose requests time out after <paramref name="timeout"/>, each connect after <paramref name="connectTimeout"/> (none: unbounded).</summary>
    public static HttpClient Create(TimeSpan timeout, bool followRedirects, TimeSpan? connectTimeout = null) =>
        new(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = followRedirects,
            ConnectTimeout = connectTimeout ?? Timeout.InfiniteTimeSpan,
            ConnectCallback = ConnectedStream.Callback(),
        })
        { Timeout = timeout };
}
