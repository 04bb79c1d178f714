namespace GeoLedger.Cluster;

/// <summary>
/// A node that is not a voting member any more answers the client API with 410 and a problem saying so:
/// its state stops following the cluster, so serving it would hand out stale data. <c>/v1/cluster</c>, the
/// probes, metrics and the API description stay up, so that operators can see what happened.
/// </summary>
internal sealed class RemovedNodeMiddleware(RequestDelegate next, MembershipWatcher watcher)
{
    private static readonly string[] StillServed = ["/v1/cluster", "/healthz", "/readyz", "/metrics", "/openapi", "/ui"];

    public Task InvokeAsync(HttpContext context)
    {
        if (watcher.RemovedBecause is not { } reason || StillServed.Any(p => context.Request.Path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase)))
            return next(context);
        context.Response.Headers["X-GeoLedger-Removed"] = "true";
        return TypedResults.Problem(
            $"This node is not a voting member of the cluster: {reason}. Send requests to a member listed by GET /v1/cluster on one of them; to bring this node back, add it again with POST /v1/cluster/members.",
            statusCode: StatusCodes.Status410Gone,
            title: "This node was removed from the cluster: use another member").ExecuteAsync(context);
    }
}
