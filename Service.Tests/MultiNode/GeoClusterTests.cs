using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using GeoLedger.LocalCluster.Geo;

namespace GeoLedger.Tests.MultiNode;

/// <summary>The geo cluster of the demo and the benchmark: Raft really goes through the delaying proxies.</summary>
[Collection(MultiNodeCollection.Name)]
public sealed class GeoClusterTests
{
    [Fact]
    public async Task Every_Raft_link_goes_through_the_proxies_and_a_write_waits_for_the_nearest_majority()
    {
        using var folder = new TempFolder();
        var output = new ConcurrentQueue<string>();
        await using var cluster = GeoCluster.Start(folder.Path, ["eastus", "westus", "centralus"], output: output.Enqueue);
        try
        {
            var leader = await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(120));
            foreach (var node in cluster.Nodes.Nodes)
                await node.WaitReadyAsync(cluster.Nodes.Http, TimeSpan.FromSeconds(120));
            var region = cluster.RegionOf(leader);
            var majority = GeoLinks.NearestMajorityRttMs(region, cluster.Regions);

            // The nodes dial their peers through the proxies (Ledger:TestRaftVia); without it the links are not delayed at all.
            Assert.True(cluster.RaftConnections > 0, "no node dialed a peer through its proxy: Raft links are not delayed");

            for (var i = 0; i < 3; i++)
            {
                var clock = Stopwatch.StartNew();
                using var put = await KvClient.PutAsync(cluster.Nodes.Http, cluster.ClientUrl(region, leader), $"geo-{i}", "\"far\"");
                var took = clock.Elapsed;
                Assert.Equal(HttpStatusCode.OK, put.StatusCode);
                Assert.True(took >= TimeSpan.FromMilliseconds(majority), $"a write took {took.TotalMilliseconds:0} ms; the nearest majority of a leader in {region} is {majority} ms away");
            }

            // A client in another region reads the write on its own node, and that node names its region.
            var follower = cluster.Nodes.Nodes.First(n => n != leader);
            var (status, value, _) = await KvClient.GetAsync(cluster.Nodes.Http, cluster.ClientUrl(cluster.RegionOf(follower), follower), "geo-2");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("\"far\"", value);
            using var view = JsonDocument.Parse(await cluster.Nodes.Http.GetStringAsync(new Uri(follower.PublicUrl, "v1/cluster")));
            Assert.Equal(cluster.RegionOf(follower), view.RootElement.GetProperty("node").GetProperty("region").GetString());
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\n--- node output ---\n{string.Join('\n', output.TakeLast(60))}\n--- end of node output ---\n{e}");
        }
    }
}
