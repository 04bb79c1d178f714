using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GeoLedger.Tests.Api;

/// <summary>A single in-process node on a fresh data folder, deleted on dispose.</summary>
/// <remarks>Any public type of the service assembly names its entry point; <c>Program</c> would be ambiguous with the launcher's.</remarks>
public sealed class LedgerFactory : WebApplicationFactory<GeoLedger.Ledger.LedgerOptions>
{
    /// <summary>Carries the request target as the client sent it, for <see cref="RawTargetFilter"/>; a test may set it to send a target Uri would unescape (%31).</summary>
    public const string RawTargetHeader = "X-Test-Raw-Target";

    private readonly Dictionary<string, string?> settings;
    private readonly bool ownsDataDirectory;
    private readonly TaskCompletionSource hostDisposed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="settings">Configuration of the node (<c>Ledger:*</c>, <c>Raft:*</c>).</param>
    /// <param name="dataDirectory">An existing data folder to run on, left in place on dispose; by default a fresh one, deleted.</param>
    public LedgerFactory(Dictionary<string, string?>? settings = null, string? dataDirectory = null)
    {
        ownsDataDirectory = dataDirectory is null;
        DataDirectory = dataDirectory ?? Path.Combine(Path.GetTempPath(), "geoledger-tests", Guid.NewGuid().ToString("N"));
        this.settings = new Dictionary<string, string?>(settings ?? []) { ["Ledger:DataDirectory"] = DataDirectory };
    }

    /// <summary>The node's data folder.</summary>
    public string DataDirectory { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings)
            builder.UseSetting(key, value);
        builder.ConfigureServices(services =>
        {
            services.AddSingleton<IStartupFilter, RawTargetFilter>();
            services.AddSingleton<ILoggerProvider>(_ => new DisposalSignal(hostDisposed));
        });
    }

    protected override IHost CreateHost(IHostBuilder builder) => new SelfStoppingHost(base.CreateHost(builder), hostDisposed.Task);

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
        if (disposing && ownsDataDirectory && Directory.Exists(DataDirectory))
            Directory.Delete(DataDirectory, recursive: true);
    }

    /// <summary>
    /// The program's own <c>RunAsync</c> stops and disposes its host once told to stop. The factory stopping the host as
    /// well runs the Raft cluster's StopAsync twice at once and races the disposal (ObjectDisposedException), so this
    /// host only asks the program to stop and waits until it has disposed everything.
    /// </summary>
    private sealed class SelfStoppingHost(IHost host, Task disposed) : IHost
    {
        public IServiceProvider Services => host.Services;

        public Task StartAsync(CancellationToken cancellationToken = default) => host.StartAsync(cancellationToken);

        public async Task StopAsync(CancellationToken cancellationToken = default)
        {
            host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
            await disposed.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        }

        public void Dispose()
        {
            // The program disposed it.
        }
    }

    /// <summary>
    /// Signals the disposal of the node's container. Logger providers are created with the first logger, before the
    /// log, the state machine and the Raft cluster, so the container disposes this one after all of them.
    /// </summary>
    private sealed class DisposalSignal(TaskCompletionSource disposed) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

        public void Dispose() => disposed.TrySetResult();
    }

    /// <summary>Sends the request target exactly as it goes on the wire.</summary>
    private sealed class RawTargetHandler : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (!request.Headers.Contains(RawTargetHeader))
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
