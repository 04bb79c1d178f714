using System.Net;
using System.Text;
using GeoLedger.LocalCluster;
using GeoLedger.Tests.MultiNode;

namespace GeoLedger.Tests.Operate;

/// <summary>
/// <c>/metrics</c> on a real 3-node cluster: under a write and read load every metric has a value where it should,
/// and killing the leader moves the leader-change counter and the new leader's replication lag.
/// </summary>
[Collection(MultiNodeCollection.Name)]
public sealed class ClusterMetricsTests
{
    private const string WriteToken = "metrics-write-token";
    private const int Writes = 120;
    private const int Reads = 60;

    private static async Task WriteAsync(HttpClient http, NodeProcess leader, string key, int value)
    {
        using var put = await KvClient.PutAsync(http, leader.PublicUrl, key, value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(put.StatusCode == HttpStatusCode.OK, $"PUT {key} on {leader.Id} answered {(int)put.StatusCode}");
    }

    [Fact]
    public async Task Every_metric_moves_under_load_and_a_leader_kill_moves_leader_changes_and_lag()
    {
        await using var cluster = await TestCluster.StartAsync(3, new Dictionary<string, string>
        {
            ["Ledger:ApiTokens:0:Token"] = WriteToken,
            ["Ledger:ApiTokens:0:Access"] = "write",
            ["Ledger:MaxValueBytes"] = "4096",
        }, bearerToken: WriteToken);
        await cluster.WithOutputOnFailureAsync(async () =>
        {
            var http = cluster.Nodes.Http;
            var leader = await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            var follower = cluster.Nodes.Nodes.First(n => n != leader);

            // Load: writes on the leader, linearizable and local reads on a follower, and one refusal of each kind.
            await Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
            {
                for (var i = worker; i < Writes; i += 4)
                    await WriteAsync(http, leader, $"metrics/{i % 40}", i);
            })));
            for (var i = 0; i < Reads; i++)
            {
                var (status, _, _) = await KvClient.GetAsync(http, follower.PublicUrl, $"metrics/{i % 40}", i % 2 == 0 ? "linearizable" : "local");
                Assert.Equal(HttpStatusCode.OK, status);
            }

            using (var noToken = new HttpRequestMessage(HttpMethod.Delete, new Uri(follower.PublicUrl, "/v1/kv/metrics/1")))
            {
                noToken.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "not-a-token");
                using var refused = await http.SendAsync(noToken);
                Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            }

            using (var tooLarge = await KvClient.PutAsync(http, follower.PublicUrl, "metrics/large", $"\"{new string('x', 5000)}\""))
                Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
            using (var malformed = await http.PutAsync(new Uri(follower.PublicUrl, "/v1/kv/metrics/bad"), new StringContent("{\"value\":", Encoding.UTF8, "application/json")))
                Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);

            var scrapes = new Dictionary<string, PrometheusText>();
            foreach (var node in cluster.Nodes.Nodes)
                scrapes[node.Id] = await PrometheusText.ScrapeAsync(http, node);
            var atLeader = scrapes[leader.Id];
            var atFollower = scrapes[follower.Id];

            foreach (var (id, scrape) in scrapes)
            {
                Assert.Equal(1, scrape.Single("geoledger_raft_has_leader"));
                Assert.Equal(id == leader.Id ? 1 : 0, scrape.Single("geoledger_raft_is_leader"));
                Assert.True(scrape.Single("geoledger_raft_term") >= 1, id);
                Assert.True(scrape.Single("geoledger_raft_commit_index") >= Writes, id);
                Assert.True(scrape.Single("geoledger_raft_applied_index") >= Writes - 1, id); // a follower may be one behind
                Assert.True(scrape.Single("geoledger_raft_leader_changes_total") >= 1, id);
                Assert.True(scrape.Sum("geoledger_log_flush_duration_seconds_count") > 0, id);
                Assert.True(scrape.Single("geoledger_store_keys") >= 39, id);
                Assert.True(scrape.Sum("dotnet_gc_heap_total_allocated_bytes_total") > 0, id); // the runtime's meter
                Assert.True(scrape.Sum("http_server_request_duration_seconds_count") > 0, id); // ASP.NET Core's meter
            }

            Assert.True(atLeader.Sum("geoledger_raft_proposals_committed_total") >= Writes);
            Assert.Equal(0, atLeader.Single("geoledger_raft_proposals_pending"));
            Assert.True(atLeader.Sum("geoledger_kv_write_duration_seconds_count", ("http_route", "/v1/kv/{**key}"), ("http_response_status_code", "200")) >= Writes);
            Assert.True(atFollower.Sum("geoledger_kv_read_duration_seconds_count", ("geoledger_consistency", "linearizable"), ("http_response_status_code", "200")) >= Reads / 2);
            Assert.True(atFollower.Sum("geoledger_kv_read_duration_seconds_count", ("geoledger_consistency", "local"), ("http_response_status_code", "200")) >= Reads / 2);
            foreach (var other in cluster.Nodes.Nodes.Where(n => n != leader))
            {
                Assert.True(atLeader.Sum("geoledger_raft_rpc_duration_seconds_count", ("geoledger_member", other.Id), ("geoledger_raft_message", "AppendEntries")) > 0, other.Id);
                Assert.InRange(atLeader.Single("geoledger_raft_replication_lag", ("geoledger_member", other.Id)), 0, Writes);
            }

            Assert.Empty(atFollower.All("geoledger_raft_replication_lag")); // only the leader reports lag
            Assert.True(atFollower.Sum("geoledger_requests_rejected_total", ("geoledger_reason", "auth")) >= 1);
            Assert.True(atFollower.Sum("geoledger_requests_rejected_total", ("geoledger_reason", "size")) >= 1);
            Assert.True(atFollower.Sum("geoledger_requests_rejected_total", ("geoledger_reason", "invalid")) >= 1);

            // Kill the leader: a survivor takes over, counts the change, and sees the dead member fall behind.
            var changesBefore = scrapes.Where(p => p.Key != leader.Id).ToDictionary(p => p.Key, p => p.Value.Single("geoledger_raft_leader_changes_total"));
            await leader.KillAsync();
            var survivors = cluster.Nodes.Nodes.Where(n => n != leader).ToList();
            var newLeader = await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30), survivors);
            for (var i = 0; i < 20; i++)
                await WriteAsync(http, newLeader, $"after-kill/{i}", i);
            var afterKill = await PrometheusText.ScrapeAsync(http, newLeader);
            Assert.Equal(1, afterKill.Single("geoledger_raft_is_leader"));
            Assert.True(afterKill.Single("geoledger_raft_leader_changes_total") > changesBefore[newLeader.Id],
                $"leader changes on {newLeader.Id}: {changesBefore[newLeader.Id]} before the kill, {afterKill.Single("geoledger_raft_leader_changes_total")} after");
            var deadLag = afterKill.Single("geoledger_raft_replication_lag", ("geoledger_member", leader.Id));
            Assert.True(deadLag >= 20, $"the dead member's lag on the new leader is {deadLag}");

            for (var i = 0; i < 10; i++)
                await WriteAsync(http, newLeader, $"after-kill/more-{i}", i);
            var later = await PrometheusText.ScrapeAsync(http, newLeader);
            Assert.True(later.Single("geoledger_raft_replication_lag", ("geoledger_member", leader.Id)) >= deadLag + 10, "the dead member's lag grows with every write");
            var survivor = survivors.Single(n => n != newLeader);
            Assert.True(later.Single("geoledger_raft_replication_lag", ("geoledger_member", survivor.Id)) < deadLag, "the live follower keeps up");
            var atSurvivor = await PrometheusText.ScrapeAsync(http, survivor);
            Assert.True(atSurvivor.Single("geoledger_raft_leader_changes_total") > changesBefore[survivor.Id]);
        });
    }
}
