using GeoLedger.Cluster;
using Microsoft.Extensions.FileProviders;

namespace GeoLedger.StatusPage;

/// <summary>
/// The status page at <c>/ui</c>: static files (<c>wwwroot/ui</c>, no build step) that poll every member's
/// <c>/v1/cluster</c>. The members' own origins may read the client API from a browser (CORS), so a page loaded
/// from one member keeps working when that member dies; no other origin may.
/// </summary>
public static class StatusPageSetup
{
    /// <summary>Where the page is served.</summary>
    public const string Path = "/ui";

    private const string CorsPolicy = "members";

    /// <summary>Registers the CORS policy that lets a page served by one member call the others.</summary>
    public static IServiceCollection AddStatusPage(this IServiceCollection services, NodeTopology topology)
    {
        var origins = topology.Config.Members.Select(m => m.Public.GetLeftPart(UriPartial.Authority)).Distinct().ToArray();
        services.AddCors(cors => cors.AddPolicy(CorsPolicy, policy => policy
            .WithOrigins(origins)
            .WithMethods(HttpMethods.Get)
            .WithHeaders("Authorization")
            .WithExposedHeaders("X-GeoLedger-Node", "X-GeoLedger-Leader")));
        return services;
    }

    /// <summary>Serves the page's files (before authentication: they hold no data) and applies the CORS policy.</summary>
    public static IApplicationBuilder UseStatusPage(this IApplicationBuilder app)
    {
        // From the build output, not the content root: LocalCluster and the tests run the node from bin/.
        var folder = System.IO.Path.Combine(AppContext.BaseDirectory, "wwwroot", "ui");
        if (!Directory.Exists(folder))
            return app.UseCors(CorsPolicy); // a build without the page's files: /ui is a 404, the API works
        var files = new PhysicalFileProvider(folder);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files, RequestPath = Path });
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            RequestPath = Path,
            OnPrepareResponse = file =>
            {
                var headers = file.Context.Response.Headers;
                headers.ContentSecurityPolicy = "default-src 'self'; connect-src 'self' http: https:; frame-ancestors 'none'";
                headers.XContentTypeOptions = "nosniff";
                headers.CacheControl = "no-cache";
            },
        });
        app.UseCors(CorsPolicy);
        return app;
    }
}
