using System.Diagnostics.Metrics;
using GeoLedger.Auth;
using GeoLedger.Cluster;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace GeoLedger.Telemetry;

/// <summary>
/// Metrics and traces through OpenTelemetry: GeoLedger's instruments plus ASP.NET Core's, HttpClient's and the
/// runtime's, scraped at <c>/metrics</c> (Prometheus text) and pushed over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
/// is set; spans of requests, replication and read-index rounds, exported over OTLP or to <c>Telemetry:TraceFile</c>.
/// </summary>
public static class TelemetrySetup
{
    /// <summary>The scrape endpoint.</summary>
    public const string MetricsPath = "/metrics";

    /// <summary>Registers the instruments and, as <c>Telemetry:*</c> says, the exporters.</summary>
    public static WebApplicationBuilder AddLedgerTelemetry(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection("Telemetry").Get<TelemetryOptions>() ?? new TelemetryOptions();
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var tracing = options.Tracing ?? (otlp || !string.IsNullOrWhiteSpace(options.TraceFile));
        options.Tracing = tracing;
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<LedgerMetrics>(); // always: the core records into it; without a listener a record costs nothing
        builder.Services.AddSingleton<ClusterMetrics>();
        if (!options.Metrics && !tracing)
            return builder;

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddDetector(sp => new NodeResourceDetector(sp.GetRequiredService<NodeTopology>())));
        if (options.Metrics)
        {
            telemetry.WithMetrics(metrics =>
            {
                // Only this host's meters: a process hosting several nodes (the in-process tests) must not mix them.
                ((IDeferredMeterProviderBuilder)metrics).Configure((sp, builder) =>
                {
                    var own = sp.GetRequiredService<IMeterFactory>();
                    builder.AddView(instrument => instrument.Meter.Scope is IMeterFactory scope && scope != own ? MetricStreamConfiguration.Drop : null);
                });
                metrics.AddMeter(LedgerMetrics.MeterName)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddMeter("System.Runtime")
                    .AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0);
                if (otlp)
                    metrics.AddOtlpExporter();
            });
        }

        if (tracing)
        {
            telemetry.WithTracing(traces =>
            {
                traces.AddSource(LedgerTracing.SourceName)
                    .AddAspNetCoreInstrumentation(aspnet => aspnet.Filter = IsTraced)
                    // Raft's own messages (heartbeats, appends, votes) are not traced: dozens a second, none a client's.
                    .AddHttpClientInstrumentation(http => http.FilterHttpRequestMessage = request => !request.Headers.Contains(RaftHeaders.MessageType));
                if (otlp)
                    traces.AddOtlpExporter();
                if (!string.IsNullOrWhiteSpace(options.TraceFile))
                {
                    traces.AddProcessor(sp => new BatchActivityExportProcessor(
                        new JsonLinesSpanExporter(options.TraceFile, sp.GetRequiredService<NodeTopology>().Self.Id),
                        scheduledDelayMilliseconds: 500));
                }
            });
        }

        return builder;
    }

    /// <summary>Starts the instruments read from the cluster; call after the ledger state is restored.</summary>
    public static WebApplication UseLedgerTelemetry(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<TelemetryOptions>();
        app.Services.GetRequiredService<ClusterMetrics>();
        if (options.Metrics)
        {
            app.MapPrometheusScrapingEndpoint(MetricsPath).RequireAuthorization(AccessPolicies.Read);
        }

        return app;
    }

    /// <summary>True when metrics are collected (the request timing middleware is worth running).</summary>
    public static bool MetricsOn(IServiceProvider services) => services.GetRequiredService<TelemetryOptions>().Metrics;

    /// <summary>Client requests and read-index rounds are traced; Raft's other messages, probes and scrapes are not.</summary>
    private static bool IsTraced(HttpContext context)
    {
        var path = context.Request.Path;
        if (context.Connection.LocalPort == context.RequestServices.GetRequiredService<NodeTopology>().Raft.Port)
            return path.StartsWithSegments(ReadIndex.Path);
        return !path.StartsWithSegments(MetricsPath) && !path.StartsWithSegments("/healthz") && !path.StartsWithSegments("/readyz");
    }
}
