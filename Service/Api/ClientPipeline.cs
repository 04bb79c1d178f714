using GeoLedger.Auth;
using GeoLedger.Cluster;
using GeoLedger.StatusPage;
using GeoLedger.Telemetry;
using Microsoft.AspNetCore.Http.Features;

namespace GeoLedger.Api;

/// <summary>
/// Middleware every client request passes, in order: the Host check, the node headers, bad-request mapping,
/// request metrics, the status page's files and CORS, routing, authentication and authorization. Endpoints come after it.
/// </summary>
internal static class ClientPipeline
{
    /// <summary>Adds the client port's middleware in order; call it on the application itself, so routing and auth run here and nowhere earlier.</summary>
    public static WebApplication UseClientPipeline(this WebApplication app)
    {
        var view = app.Services.GetRequiredService<ClusterView>();
        var hosts = app.Services.GetRequiredService<ClientHosts>();
        var metrics = app.Services.GetRequiredService<LedgerMetrics>();
        var tokens = app.Services.GetRequiredService<ApiTokens>();
        app.Use(async (context, next) =>
        {
            if (!hosts.Allows(context.Request.Host))
            {
                metrics.RequestRejected("host");
                // Before the node headers: a page that re-pointed its name at this node learns nothing about the cluster.
                await Problems.BadRequest("Host not allowed: address this node by a loopback address or a member's public URL, or name the host in Ledger:AllowedHosts",
                    "This node answers only requests addressed to loopback, to its members' public hosts or to a host named in Ledger:AllowedHosts.").ExecuteAsync(context);
                return;
            }

            context.Response.OnStarting(() =>
            {
                context.Response.Headers["X-GeoLedger-Node"] = view.Self.Id;
                // The leader is cluster state: only for requests that may read it, and never on a 401.
                if (context.Response.StatusCode != StatusCodes.Status401Unauthorized && AccessPolicies.Allows(tokens, context.User, Access.Read))
                    context.Response.Headers["X-GeoLedger-Leader"] = view.Leader?.Id ?? "none";
                return Task.CompletedTask;
            });

            try
            {
                await next(context);
            }
            catch (BadHttpRequestException e) when (!context.Response.HasStarted)
            {
                // Kestrel's own verdicts on a request (a body over its limit, a body sent too slowly) are the client's fault.
                context.Response.Clear();
                await TypedResults.Problem(e.Message, statusCode: e.StatusCode, title: "Bad request: fix the request").ExecuteAsync(context);
            }
        });
        if (TelemetrySetup.MetricsOn(app.Services))
            app.UseMiddleware<RequestMetrics>();
        app.UseStatusPage();
        app.UseRouting();
        if (!tokens.IsOff)
            app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }

    /// <summary>True when the request arrived on the Raft port.</summary>
    public static bool IsRaftPort(HttpContext context, int raftPort) =>
        context.Features.Get<IHttpConnectionFeature>()?.LocalPort == raftPort;
}
