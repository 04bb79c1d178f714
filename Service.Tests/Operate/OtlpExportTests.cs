using System.Collections.Concurrent;
using System.Net;
using GeoLedger.LocalCluster;
using GeoLedger.Tests.Api;
using GeoLedger.Tests.MultiNode;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace GeoLedger.Tests.Operate;

/// <summary>
/// With <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> set, a node pushes metrics and traces over OTLP: a stand-in collector
/// (a bare Kestrel endpoint taking OTLP/HTTP) receives both. In the serial collection: it turns tracing on in this process.
/// </summary>
[Collection(MultiNodeCollection.Name)]
public sealed class OtlpExportTests
{
    [Fact]
    public async Task A_node_with_an_otlp_endpoint_pushes_metrics_and_traces()
    {
        var received = new ConcurrentDictionary<string, int>();
        var port = PortAllocator.Next();
        var collector = WebApplication.CreateSlimBuilder();
        collector.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        await using var app = collector.Build();
        app.MapPost("/v1/{signal}", async (string signal, HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            if (request.ContentType == "application/x-protobuf" && body.Length > 0)
                received.AddOrUpdate(signal, 1, (_, n) => n + 1);
            return Results.Ok();
        });
        await app.StartAsync();

        using var node = new LedgerFactory(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{port}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "200",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        });
        using var client = await node.CreateReadyClientAsync();
        using (var put = await client.PutAsync("/v1/kv/exported", ApiAssert.Value("1")))
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!(received.ContainsKey("metrics") && received.ContainsKey("traces")) && waited.Elapsed < TimeSpan.FromSeconds(30))
            await Task.Delay(50);
        Assert.True(received.ContainsKey("metrics") && received.ContainsKey("traces"),
            $"in 30 s the collector received: {string.Join(", ", received.Select(p => $"{p.Value} {p.Key} exports"))}");
        await app.StopAsync();
    }
}
