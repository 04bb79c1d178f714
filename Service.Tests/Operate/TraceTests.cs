using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using GeoLedger.Tests.MultiNode;
using Xunit.Abstractions;

namespace GeoLedger.Tests.Operate;

/// <summary>
/// Traces on a real 3-node cluster, each node writing its spans to a file (<c>Telemetry:TraceFile</c>): a write sent
/// to a follower and redirected to the leader is one trace, with the replication span a child of the leader's
/// request span; a linearizable read on a follower carries its trace to the leader's read-index handler.
/// </summary>
[Collection(MultiNodeCollection.Name)]
public sealed class TraceTests(ITestOutputHelper output)
{
    private sealed record Span(string Node, string TraceId, string SpanId, string ParentSpanId, string Name, string Kind, Dictionary<string, string> Attributes);

    private static List<Span> ReadSpans(string folder) =>
        Directory.EnumerateFiles(folder, "*.jsonl")
            .SelectMany(file =>
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                using var reader = new StreamReader(stream);
                return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
            })
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Select(e => new Span(
                e.GetProperty("node").GetString()!, e.GetProperty("traceId").GetString()!, e.GetProperty("spanId").GetString()!,
                e.GetProperty("parentSpanId").GetString()!, e.GetProperty("name").GetString()!, e.GetProperty("kind").GetString()!,
                e.GetProperty("attributes").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "")))
            .ToList();

    /// <summary>Waits until the exported spans satisfy <paramref name="done"/> (the exporters flush every 500 ms).</summary>
    private static async Task<List<Span>> WaitForSpansAsync(string folder, Func<List<Span>, bool> done)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var spans = ReadSpans(folder);
            if (done(spans))
                return spans;
            if (deadline.Elapsed > TimeSpan.FromSeconds(20))
                throw new TimeoutException("the expected spans were not exported within 20 s; got:\n" + string.Join("\n", spans.Select(s => $"{s.Node} {s.TraceId} {s.SpanId}<-{s.ParentSpanId} {s.Kind} {s.Name}")));
            await Task.Delay(100);
        }
    }

    private static HttpRequestMessage Traced(HttpMethod method, Uri url, ActivityTraceId trace, ActivitySpanId parent, string? json = null)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.Add("traceparent", $"00-{trace.ToHexString()}-{parent.ToHexString()}-01");
        if (json is not null)
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        return request;
    }

    [Fact]
    public async Task A_follower_write_through_the_leader_is_one_trace_with_replication_under_the_leaders_request_span()
    {
        var folder = Path.Combine(Path.GetTempPath(), "geoledger-trace-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            // Read-index rounds over HTTP: a datagram round (the default in a cluster of three) carries no trace context.
            await using var cluster = await TestCluster.StartAsync(3, perNode: id => new Dictionary<string, string>
            {
                ["Telemetry:TraceFile"] = Path.Combine(folder, id + ".jsonl"),
                ["Ledger:ReadIndexDatagrams"] = "false",
            });
            await cluster.WithOutputOnFailureAsync(async () =>
            {
                var http = cluster.Nodes.Http;
                var leader = await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
                var follower = cluster.Nodes.Nodes.First(n => n != leader);

                // The client's own span: both requests (the one redirected and the one followed) carry it as parent.
                var trace = ActivityTraceId.CreateRandom();
                var client = ActivitySpanId.CreateRandom();
                using var redirected = await http.SendAsync(Traced(HttpMethod.Put, new Uri(follower.PublicUrl, "/v1/kv/traced"), trace, client, """{"value":1}"""));
                Assert.Equal(HttpStatusCode.TemporaryRedirect, redirected.StatusCode);
                using var written = await http.SendAsync(Traced(HttpMethod.Put, redirected.Headers.Location!, trace, client, """{"value":1}"""));
                Assert.Equal(HttpStatusCode.OK, written.StatusCode);

                // Spans reach the files in batches, a request's after its children's: wait for the leader's request span too.
                var spans = await WaitForSpansAsync(folder, s =>
                    s.Any(x => x.TraceId == trace.ToHexString() && x.Name == "geoledger.replicate" && x.Node == leader.Id)
                    && s.Any(x => x.TraceId == trace.ToHexString() && x.Kind == "Server" && x.Node == leader.Id)
                    && s.Any(x => x.TraceId == trace.ToHexString() && x.Node == follower.Id));
                var traceSpans = spans.Where(s => s.TraceId == trace.ToHexString()).ToList();
                foreach (var s in traceSpans)
                    output.WriteLine($"{s.Node} span {s.SpanId} parent {s.ParentSpanId} {s.Kind} {s.Name} {string.Join(" ", s.Attributes.Select(a => $"{a.Key}={a.Value}"))}");

                var atFollower = Assert.Single(traceSpans, s => s.Node == follower.Id && s.Kind == "Server");
                Assert.Equal(client.ToHexString(), atFollower.ParentSpanId);
                Assert.Equal("307", atFollower.Attributes["http.response.status_code"]);
                var atLeader = Assert.Single(traceSpans, s => s.Node == leader.Id && s.Kind == "Server");
                Assert.Equal(client.ToHexString(), atLeader.ParentSpanId);
                Assert.Equal("PUT", atLeader.Attributes["http.request.method"]);
                Assert.Equal("200", atLeader.Attributes["http.response.status_code"]);
                var replicate = Assert.Single(traceSpans, s => s.Name == "geoledger.replicate");
                Assert.Equal(leader.Id, replicate.Node);
                Assert.Equal(atLeader.SpanId, replicate.ParentSpanId); // the replication span is a child of the leader's request span
                Assert.Equal("Applied", replicate.Attributes["geoledger.outcome"]);
                Assert.True(long.Parse(replicate.Attributes["geoledger.log.index"]) > 0);

                // A linearizable read on the follower: its read-index round reaches the leader's Raft port in the same trace.
                var readTrace = ActivityTraceId.CreateRandom();
                using var read = await http.SendAsync(Traced(HttpMethod.Get, new Uri(follower.PublicUrl, "/v1/kv/traced"), readTrace, ActivitySpanId.CreateRandom()));
                Assert.Equal(HttpStatusCode.OK, read.StatusCode);
                spans = await WaitForSpansAsync(folder, s =>
                    s.Any(x => x.TraceId == readTrace.ToHexString() && x.Node == leader.Id)
                    && s.Count(x => x.TraceId == readTrace.ToHexString() && x.Node == follower.Id) >= 3);
                var readSpans = spans.Where(s => s.TraceId == readTrace.ToHexString()).ToList();
                foreach (var s in readSpans)
                    output.WriteLine($"{s.Node} span {s.SpanId} parent {s.ParentSpanId} {s.Kind} {s.Name} {string.Join(" ", s.Attributes.Select(a => $"{a.Key}={a.Value}"))}");
                var readIndex = Assert.Single(readSpans, s => s.Name == "geoledger.read_index");
                var call = Assert.Single(readSpans, s => s.Kind == "Client");
                Assert.Equal(readIndex.SpanId, call.ParentSpanId);
                var served = Assert.Single(readSpans, s => s.Node == leader.Id && s.Kind == "Server");
                Assert.Equal(call.SpanId, served.ParentSpanId); // W3C trace context crossed from follower to leader
            });
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
