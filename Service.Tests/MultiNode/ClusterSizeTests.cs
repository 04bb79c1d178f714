using System.Globalization;
using System.Net;

namespace GeoLedger.Tests.MultiNode;

/// <summary>Clusters of 5 and 7 members start, elect, take writes and serve them from every member.</summary>
[Collection(MultiNodeCollection.Name)]
public sealed class ClusterSizeTests
{
    [Theory]
    [InlineData(5)]
    [InlineData(7)]
    public async Task A_cluster_of_this_many_members_starts_takes_writes_and_every_member_serves_them(int members)
    {
        await using var cluster = await TestCluster.StartAsync(members);
        await cluster.WithOutputOnFailureAsync(async () =>
        {
            var http = cluster.Nodes.Http;
            var leader = await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
            for (var i = 0; i < 20; i++)
            {
                using var put = await KvClient.PutAsync(http, leader.PublicUrl, $"size-{i}", i.ToString(CultureInfo.InvariantCulture));
                Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            }

            foreach (var node in cluster.Nodes.Nodes)
            {
                var (status, value, _) = await KvClient.GetAsync(http, node.PublicUrl, "size-19");
                Assert.Equal(HttpStatusCode.OK, status);
                Assert.Equal("19", value);
            }

            // A minority may fail: with 2 (of 5) or 3 (of 7) members killed the rest still commit.
            var killed = cluster.Nodes.Nodes.Where(n => n != leader).Take((members - 1) / 2).ToList();
            foreach (var node in killed)
                await node.KillAsync();
            using (var put = await KvClient.PutAsync(http, leader.PublicUrl, "after-minority-loss", "true"))
                Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        });
    }
}
