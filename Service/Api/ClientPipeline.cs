using GeoLedger.Cluster;
using Microsoft.AspNetCore.Http.Features;

namespace GeoLedger.Api;

/// <summary>Middleware every client request passes: node headers, Raft kept off this port, authentication, bad-request mapping.</summary>
internal static class ClientPipeline
{
    /// <summary>Adds the client port's middleware in order.</summary>
    public static IApplicationBuilder UseClientPipeline(this IApplicationBuilder app)
    {
        var view = app.ApplicationServices.GetRequiredService<ClusterView>();
        var auth = app.ApplicationServices.GetRequiredService<ApiAuthentication>();
        return app.Use(async (context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                context.Response.Headers["X-GeoLedger-Node"] = view.Self.Id;
                context.Response.Headers["X-GeoLedger-Leader"] = view.Leader?.Id ?? "none";
                return Task.CompletedTask;
            });

            try
            {
                if (auth.Check(context) is { } denied)
                {
                    await denied.ExecuteAsync(context);
                    return;
                }

                await next(context);
            }
            catch (BadHttpRequestException e) when (!context.Response.HasStarted)
            {
                // Kestrel's own verdicts on a request (a body over its limit, a body sent too slowly) are the client's fault.
                context.Response.Clear();
                await TypedResults.Problem(e.Message, statusCode: e.StatusCode, title: "Bad request: fix the request").ExecuteAsync(context);
            }
        });
    }

    /// <summary>True when the request arrived on the Raft port.</summary>
    public static bool IsRaftPort(HttpContext context, int raftPort) =>
        context.Features.Get<IHttpConnectionFeature>()?.LocalPort == raftPort;
}
