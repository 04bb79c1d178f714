using System.Net;
using System.Net.Http.Headers;
using GeoLedger.Telemetry;
using GeoLedger.Tests.Api;
using GeoLedger.Tests.MultiNode;

namespace GeoLedger.Tests.Operate;

/// <summary>A node with metrics and tracing both off (<c>Telemetry:Metrics=false</c>).</summary>
public sealed class QuietNodeFixture() : NodeFixture(new() { ["Telemetry:Metrics"] = "false" });

/// <summary><c>/metrics</c> behind the read token, switched off by <c>Telemetry:Metrics</c>, and no span without tracing.</summary>
[Collection(MultiNodeCollection.Name)] // its no-span check must not overlap the OTLP test, which turns tracing on in this process
public sealed class MetricsEndpointTests(ReadAuthNodeFixture readAuth, QuietNodeFixture quiet, NodeFixture open)
    : IClassFixture<ReadAuthNodeFixture>, IClassFixture<QuietNodeFixture>, IClassFixture<NodeFixture>
{
    [Fact]
    public async Task Under_read_authentication_metrics_need_a_read_token()
    {
        using var anonymous = await readAuth.Client.GetAsync("/metrics");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "r");
        using var withToken = await readAuth.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.DoesNotContain("geoledger_", await anonymous.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, withToken.StatusCode);
        var scrape = PrometheusText.Parse(await withToken.Content.ReadAsStringAsync());
        Assert.Equal(1, scrape.Single("geoledger_raft_is_leader"));
    }

    [Fact]
    public async Task With_metrics_off_there_is_no_metrics_endpoint()
    {
        using var response = await quiet.Client.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Without_a_trace_exporter_no_span_is_created()
    {
        using var put = await open.Client.PutAsync("/v1/kv/untraced", ApiAssert.Value("1"));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        // Nothing listens to GeoLedger's source, so StartActivity returns null: replication and read-index spans cost nothing.
        Assert.False(LedgerTracing.Source.HasListeners());
        Assert.Null(LedgerTracing.Source.StartActivity(LedgerTracing.Replicate));
    }
}
