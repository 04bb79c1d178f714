using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit.Abstractions;

namespace GeoLedger.Tests.MultiNode;

/// <summary>
/// Read your writes on a follower with no leader round trip: the follower delays applying every entry it receives
/// (the apply-delay hook), so a plain local read right after a write on the leader can still see the old value, while a
/// read with the write's <c>X-GeoLedger-Revision</c> as <c>minRevision</c> must always see the write.
/// </summary>
[Collection(MultiNodeCollection.Name)]
public sealed class MinRevisionReadTests(ITestOutputHelper output)
{
    private const int Iterations = 40;
    private const string Reader = "node-2";

    [Fact]
    public async Task A_minRevision_read_on_a_lagging_follower_always_sees_the_write_a_local_read_there_can_miss()
    {
        await using var cluster = await TestCluster.StartAsync(3, perNode: id => id == Reader
            ? new Dictionary<string, string> { ["Ledger:TestFollowerApplyDelayMs"] = "150", ["Ledger:ReadTimeoutMs"] = "3000" }
            : null);
        await cluster.WithOutputOnFailureAsync(async () =>
        {
            var http = cluster.Nodes.Http;
            var follower = cluster.Nodes[Reader];
            var leader = await cluster.EnsureLeaderIsNotAsync(follower);

            var stale = 0;
            for (var i = 0; i < Iterations; i++)
            {
                var value = $"\"v{i}\"";
                long revision;
                using (var put = await KvClient.PutAsync(http, leader.PublicUrl, "ryw", value))
                {
                    Assert.Equal(HttpStatusCode.OK, put.StatusCode);
                    revision = long.Parse(Assert.Single(put.Headers.GetValues("X-GeoLedger-Revision")), CultureInfo.InvariantCulture);
                }

                var (_, local, _) = await KvClient.GetAsync(http, follower.PublicUrl, "ryw", "local");
                if (local != value)
                    stale++;

                using var read = await http.GetAsync(new Uri(follower.PublicUrl, $"/v1/kv/ryw?minRevision={revision}"));
                var text = await read.Content.ReadAsStringAsync();
                Assert.True(read.StatusCode == HttpStatusCode.OK, $"iteration {i}: minRevision={revision} answered {(int)read.StatusCode}: {text}");
                Assert.Equal([Reader], read.Headers.GetValues("X-GeoLedger-Node")); // answered there, not redirected
                var entry = JsonDocument.Parse(text).RootElement;
                Assert.Equal(value, entry.GetProperty("value").GetRawText());
                Assert.True(entry.GetProperty("revision").GetInt64() == revision, $"iteration {i}: read revision {entry.GetProperty("revision")} for write {revision}");
            }

            output.WriteLine($"{Iterations} writes on {leader.Id}, each read back on {Reader} with minRevision; {stale} plain local reads right after the write were stale");
            Assert.True(stale > 0, "no local read on the delayed follower was ever stale: the apply-delay hook did not hold it behind, so the test proves nothing");

            // A revision the cluster has not reached: the follower waits Ledger:ReadTimeoutMs (3 s), then 503.
            using var cluster503 = await http.GetAsync(new Uri(follower.PublicUrl, "/v1/kv/ryw?minRevision=100000000"));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, cluster503.StatusCode);
            Assert.NotNull(cluster503.Headers.RetryAfter);
            var problem = await cluster503.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Contains("behind", problem.GetProperty("title").GetString(), StringComparison.OrdinalIgnoreCase);
        });
    }
}
