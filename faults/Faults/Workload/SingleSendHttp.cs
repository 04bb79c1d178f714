using GeoLedger.Cluster;

namespace GeoLedger.Faults.Workload;

/// <summary>
/// An <see cref="HttpClient"/> that sends each request at most once. .NET's SocketsHttpHandler
/// silently sends a request again (PUT and DELETE included) when its connection closes before any
/// answer byte arrives: exactly what a SIGKILLed leader does after it has read, appended and
/// replicated a write. The resend then meets a dead or restarted node, and its answer (refused, 503,
/// 412, 404) would be recorded as the outcome of a write whose first copy committed. There is no
/// switch for it, so every request gets a connection of its own (none is pooled) and the connect
/// callback refuses a second connection for the same request: the caller sees an exception, which
/// it records as "unknown". One request at a time per client: a connection opened for one request
/// may be handed to another one waiting, and the guard would then stop a first send.
/// </summary>
public static class SingleSendHttp
{
    private static readonly HttpRequestOptionsKey<Attempt> Attempts = new("geoledger.faults.attempt");

    /// <summary>
    /// Creates the client; <paramref name="connectTimeout"/> bounds each connect. A followed redirect
    /// is a new target, so it may connect once more.
    /// </summary>
    public static HttpClient Create(TimeSpan connectTimeout, bool followRedirects = false) => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = followRedirects,
        UseProxy = false,
        ConnectTimeout = connectTimeout,
        PooledConnectionLifetime = TimeSpan.Zero, // never reused: every attempt, a resend included, must connect
        ConnectCallback = ConnectOnceAsync,
    })
    { Timeout = Timeout.InfiniteTimeSpan };

    // Connects like every other client here (ConnectedStream: a reset right after the accept fails as an HttpRequestException).
    private static readonly Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> Connect = ConnectedStream.Callback();

    private static ValueTask<Stream> ConnectOnceAsync(SocketsHttpConnectionContext context, CancellationToken token)
    {
        var request = context.InitialRequestMessage;
        if (request.Options.TryGetValue(Attempts, out var attempt) && attempt.Target == request.RequestUri)
            return ValueTask.FromException<Stream>(new ResendRefusedException(request));
        request.Options.Set(Attempts, new Attempt(request.RequestUri));
        return Connect(context, token);
    }

    private sealed record Attempt(Uri? Target);
}

/// <summary>The handler tried to send a request a second time; it was stopped before it reached any node.</summary>
public sealed class ResendRefusedException(HttpRequestMessage request)
    : IOException($"refused to send {request.Method} {request.RequestUri} a second time: its first copy may have reached the node");
