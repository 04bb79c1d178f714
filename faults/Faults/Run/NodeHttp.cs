using GeoLedger.Cluster;

namespace GeoLedger.Faults.Run;

/// <summary>
/// The HTTP clients the suite's own tooling (nemesis, watchers, checks) talks to the nodes with: no proxy, and every
/// connection made through <see cref="ConnectedStream"/>, so a node killed right after it accepted fails the request
/// as an <see cref="HttpRequestException"/> instead of throwing past the caller. The workload's clients are
/// <see cref="Workload.SingleSendHttp"/>'s.
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
