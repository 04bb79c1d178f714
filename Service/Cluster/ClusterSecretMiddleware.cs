using System.Collections.Concurrent;

namespace GeoLedger.Cluster;

/// <summary>
/// Stands in front of .NEXT on the Raft port: a request without the cluster secret is answered 401
/// before Raft sees it, and logged once per remote address rather than once per message.
/// </summary>
internal sealed class ClusterSecretMiddleware(RequestDelegate next, ClusterSecret secret, ILogger<ClusterSecretMiddleware> logger)
{
    private readonly ConcurrentDictionary<string, bool> reported = new();

    public Task InvokeAsync(HttpContext context)
    {
        if (secret.Accepts(context.Request.Headers[ClusterSecret.HeaderName].FirstOrDefault()))
        {
            // A snapshot or a catch-up batch can exceed Kestrel's 30 MB default body limit (the benchmark's
            // 1M-key follower never caught up); an authenticated Raft request has no limit.
            if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
                limit.MaxRequestBodySize = null;
            return next(context);
        }

        var remote = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (reported.Count < 10_000 && reported.TryAdd(remote, true))
            LogMessages.ClusterSecretRejected(logger, remote);
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        return Task.CompletedTask;
    }
}
