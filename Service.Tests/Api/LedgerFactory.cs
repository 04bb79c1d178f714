using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace GeoLedger.Tests.Api;

/// <summary>A single in-process node on a fresh data folder, deleted on dispose.</summary>
public sealed class LedgerFactory : WebApplicationFactory<Program>
{
    /// <summary>Carries the request target as the client sent it, for <see cref="RawTargetFilter"/>.</summary>
    private const string RawTargetHeader = "X-Test-Raw-Target";

    private readonly Dictionary<string, string?> settings;

    public LedgerFactory(Dictionary<string, string?>? settings = null)
    {
        DataDirectory = Path.Combine(Path.GetTempPath(), "geoledger-tests", Guid.NewGuid().ToString("N"));
        this.settings = new Dictionary<string, string?>(settings ?? []) { ["Ledger:DataDirectory"] = DataDirectory };
    }

    /// <summary>The node's data folder.</summary>
    public string DataDirectory { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings)
            builder.UseSetting(key, value);
        builder.ConfigureServices(services => services.AddSingleton<IStartupFilter, RawTargetFilter>());
    }

    /// <summary>A client (no redirects followed) whose requests reach the node with their raw target, as through Kestrel.</summary>
    public HttpClient CreateRawTargetClient() => CreateDefaultClient(new RawTargetHandler());

    /// <summary>A <see cref="CreateRawTargetClient"/> client, returned once the node has elected itself.</summary>
    public async Task<HttpClient> CreateReadyClientAsync()
    {
        var client = CreateRawTargetClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            using var response = await client.GetAsync("/readyz", timeout.Token);
            if (response.IsSuccessStatusCode)
                return client;
            await Task.Delay(20, timeout.Token);
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && Directory.Exists(DataDirectory))
            Directory.Delete(DataDirectory, recursive: true);
    }

    /// <summary>Sends the request target exactly as it goes on the wire.</summary>
    private sealed class RawTargetHandler : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.TryAddWithoutValidation(RawTargetHeader, request.RequestUri!.PathAndQuery);
            return base.SendAsync(request, cancellationToken);
        }
    }

    /// <summary>
    /// TestServer leaves <see cref="IHttpRequestFeature.RawTarget"/> empty, where Kestrel always sets it; the key
    /// of <c>/v1/kv/a%2Fb</c> can only be read from it, so this puts it back before the node sees the request.
    /// </summary>
    private sealed class RawTargetFilter : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, nextMiddleware) =>
            {
                if (context.Request.Headers.Remove(RawTargetHeader, out var raw) && context.Features.Get<IHttpRequestFeature>() is { } request)
                    request.RawTarget = raw.ToString();
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}
