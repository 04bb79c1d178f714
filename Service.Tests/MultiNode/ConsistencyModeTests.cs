using System.Net;

namespace GeoLedger.Tests.MultiNode;

[Collection(MultiNodeCollection.Name)]
public sealed class ConsistencyModeTests
{
    [Fact]
    public async Task On_a_follower_held_behind_local_reads_the_old_value_and_linearizable_the_new_one()
    {
        // Every node delays applying entries it received from a leader; the leader applies its own at once.
        await using var cluster = await TestCluster.StartAsync(3, new Dictionary<string, string> { ["Ledger:TestFollowerApplyDelayMs"] = "1500" });
        await cluster.WithOutputOnFailureAsync(async () =>
        {
            var http = cluster.Nodes.Http;
            var leader = await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
            var follower = cluster.Nodes.Nodes.First(n => n != leader);

            using (var first = await KvClient.PutAsync(http, leader.PublicUrl, "mode", "\"old\""))
                Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            var (_, settled, _) = await KvClient.GetAsync(http, follower.PublicUrl, "mode"); // waits for the follower's apply
            Assert.Equal("\"old\"", settled);

            using (var second = await KvClient.PutAsync(http, leader.PublicUrl, "mode", "\"new\""))
                Assert.Equal(HttpStatusCode.OK, second.StatusCode);
            var (localStatus, local, _) = await KvClient.GetAsync(http, follower.PublicUrl, "mode", "local");
            var (linearStatus, linearizable, _) = await KvClient.GetAsync(http, follower.PublicUrl, "mode", "linearizable");

            Assert.Equal(HttpStatusCode.OK, localStatus);
            Assert.Equal("\"old\"", local);
            Assert.Equal(HttpStatusCode.OK, linearStatus);
            Assert.Equal("\"new\"", linearizable);
        });
    }
}
