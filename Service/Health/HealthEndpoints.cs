using GeoLedger.Api;
using GeoLedger.Auth;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GeoLedger.Health;

/// <summary>
/// <c>/healthz</c> (alive) and <c>/readyz</c> (ready) on ASP.NET Core health checks. Both are open to anyone, so a
/// load balancer needs no token; under <c>Ledger:RequireReadAuth</c> a request without a read token learns only
/// the status, never the leader or the indexes.
/// </summary>
internal static class HealthEndpoints
{
    // MapHealthChecks answers every method; the probes are GETs, and anything else gets 405 like every other route.
    private static readonly HttpMethodMetadata GetOnly = new([HttpMethods.Get]);

    /// <summary>Registers the readiness check.</summary>
    public static IServiceCollection AddLedgerHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<LedgerReadinessCheck>("ledger", tags: [LedgerReadinessCheck.Tag]);
        return services;
    }

    /// <summary>Maps <c>/healthz</c> and <c>/readyz</c>.</summary>
    public static IEndpointRouteBuilder MapLedgerHealthChecks(this IEndpointRouteBuilder routes)
    {
        routes.MapHealthChecks("/healthz", new HealthCheckOptions
        {
            Predicate = _ => false, // alive means the process answers: no check runs
            ResponseWriter = (context, _) => TypedResults.Ok(new { status = "alive" }).ExecuteAsync(context),
        }).AllowAnonymous().WithMetadata(GetOnly);
        routes.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(LedgerReadinessCheck.Tag),
            ResponseWriter = WriteReadinessAsync,
        }).AllowAnonymous().WithMetadata(GetOnly);
        return routes;
    }

    private static Task WriteReadinessAsync(HttpContext context, HealthReport report)
    {
        var entry = report.Entries.Values.Single();
        var detailed = AccessPolicies.CanRead(context);
        if (report.Status == HealthStatus.Healthy)
        {
            return detailed
                ? TypedResults.Ok(new { status = "ready", leader = entry.Data["leader"], appliedIndex = entry.Data["appliedIndex"] }).ExecuteAsync(context)
                : TypedResults.Ok(new { status = "ready" }).ExecuteAsync(context);
        }

        return Problems.Unavailable(context, "Not ready", detailed ? entry.Description ?? "Not ready." : "This node is not ready to serve; send a read token for the reason.")
            .ExecuteAsync(context);
    }
}
