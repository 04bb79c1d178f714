using System.Net;
using GeoLedger.Cluster;
using GeoLedger.LocalCluster;
using static GeoLedger.Tests.Api.ApiAssert;

namespace GeoLedger.Tests.Api;

/// <summary>
/// 503 and 504 exactly as DESIGN.md defines them: 503 = not attempted (nothing was written, safe to retry),
/// 504 = the entry was appended but its commit was not seen in time (it may still take effect).
/// </summary>
public sealed class AvailabilityTests
{
    /// <summary>
    /// A node of a three-member cluster whose two peers do not exist: it can never win an election. The peers sit on
    /// loopback addresses no other test uses, where nothing listens, so every vote request is refused at once.
    /// </summary>
    private static LedgerFactory LeaderlessNode(TempFolder folder)
    {
        var (raftPort, publicPort) = (PortAllocator.Next(), PortAllocator.Next());
        var members = Enumerable.Range(0, 3)
            .Select(i => new ClusterMember($"node-{i}", "test", new Uri($"http://127.77.0.{i + 1}:{raftPort}/"), new Uri($"http://127.77.0.{i + 1}:{publicPort}/")))
            .ToList();
        var path = Path.Combine(folder.Path, "node.json");
        File.WriteAllText(path, NodeConfigLoader.Render(new NodeConfig("node-0", members)));
        return new LedgerFactory(new() { ["Ledger:NodeConfig"] = path, ["Ledger:ReadTimeoutMs"] = "300" });
    }

    private static async Task<System.Text.Json.JsonElement> UnavailableAsync(HttpResponseMessage response)
    {
        var problem = await ProblemAsync(response, HttpStatusCode.ServiceUnavailable, leader: "none");
        Assert.NotNull(response.Headers.RetryAfter);
        return problem;
    }

    [Fact]
    public async Task Without_a_leader_writes_are_503_with_retry_after_and_nothing_is_written()
    {
        using var folder = new TempFolder();
        using var factory = LeaderlessNode(folder);
        using var client = factory.CreateRawTargetClient();

        using (var put = await client.PutAsync("/v1/kv/a", Value("1")))
            Assert.Contains("No leader", (await UnavailableAsync(put)).GetProperty("title").GetString(), StringComparison.Ordinal);
        using (var delete = await client.DeleteAsync("/v1/kv/a"))
            await UnavailableAsync(delete);
        using (var article = await client.PutAsync("/1", Json("""{"state":"x"}""")))
            await UnavailableAsync(article);

        using var local = await client.GetAsync("/v1/kv/a?consistency=local");
        await ProblemAsync(local, HttpStatusCode.NotFound, leader: "none");
        using var cluster = await client.GetAsync("/v1/cluster");
        var body = await BodyAsync(cluster);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, body.GetProperty("leader").ValueKind);
        Assert.Equal(0, body.GetProperty("commitIndex").GetInt64());
        Assert.Equal(["node-0", "node-1", "node-2"], body.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
        Assert.All(body.GetProperty("members").EnumerateArray(), m => Assert.False(string.IsNullOrEmpty(m.GetProperty("status").GetString())));
    }

    [Fact]
    public async Task Without_a_leader_linearizable_reads_and_readiness_are_503_but_local_reads_and_health_answer()
    {
        using var folder = new TempFolder();
        using var factory = LeaderlessNode(folder);
        using var client = factory.CreateRawTargetClient();

        using (var read = await client.GetAsync("/v1/kv/a"))
            Assert.Contains("consistency=local", (await UnavailableAsync(read)).GetProperty("title").GetString(), StringComparison.Ordinal);
        using (var list = await client.GetAsync("/v1/kv?prefix=a"))
            await UnavailableAsync(list);
        using (var article = await client.GetAsync("/1"))
            await UnavailableAsync(article);
        using (var ready = await client.GetAsync("/readyz"))
            await UnavailableAsync(ready);

        using var localList = await client.GetAsync("/v1/kv?consistency=local");
        Assert.Equal(HttpStatusCode.OK, localList.StatusCode);
        Assert.Equal("""{"items":[],"next":null}""", await localList.Content.ReadAsStringAsync());
        using var health = await client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        NodeHeaders(health, leader: "none");
    }

    [Fact]
    public async Task A_write_whose_apply_is_not_seen_in_time_is_504_and_may_still_take_effect()
    {
        // The node applies each entry 4 s late but waits only 300 ms for it: the entry is in the log, its outcome unknown.
        using var factory = new LedgerFactory(new() { ["Ledger:TestApplyDelayMs"] = "4000", ["Ledger:WriteTimeoutMs"] = "300" });
        using var client = await factory.CreateReadyClientAsync();

        using (var put = await client.PutAsync("/v1/kv/slow", Value("\"eventually\"")))
        {
            var problem = await ProblemAsync(put, HttpStatusCode.GatewayTimeout, "Outcome unknown");
            Assert.Contains("Read the key", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.False(put.Headers.Contains("Location"));
        }

        // Unlike a 503, the write was attempted: it is applied once the delay is over.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            using var get = await client.GetAsync("/v1/kv/slow?consistency=local", timeout.Token);
            if (get.StatusCode == HttpStatusCode.OK)
            {
                await EntryAsync(get, "slow", "\"eventually\"");
                break;
            }

            Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
            await Task.Delay(50, timeout.Token);
        }
    }
}
