using System.Net;

namespace GeoLedger.Tests.MultiNode;

[Collection(MultiNodeCollection.Name)]
public sealed class FailoverTests
{
    [Fact]
    public async Task After_the_leader_is_killed_a_new_leader_takes_writes_and_the_restarted_node_has_every_acknowledged_key()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await cluster.WithOutputOnFailureAsync(async () =>
        {
            var http = cluster.Nodes.Http;
            var acknowledged = new Dictionary<string, string>();
            var oldLeader = await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            for (var i = 0; i < 50; i++)
            {
                using var put = await KvClient.PutAsync(http, oldLeader.PublicUrl, $"before-{i}", i.ToString());
                Assert.Equal(HttpStatusCode.OK, put.StatusCode);
                acknowledged[$"before-{i}"] = i.ToString();
            }

            await oldLeader.KillAsync();
            var survivors = cluster.Nodes.Nodes.Where(n => n != oldLeader).ToList();
            var newLeader = await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30), survivors);
            Assert.NotEqual(oldLeader.Id, newLeader.Id);
            for (var i = 0; i < 50; i++)
            {
                using var put = await KvClient.PutAsync(http, newLeader.PublicUrl, $"after-{i}", i.ToString());
                Assert.Equal(HttpStatusCode.OK, put.StatusCode);
                acknowledged[$"after-{i}"] = i.ToString();
            }

            oldLeader.Start();
            await oldLeader.WaitReadyAsync(http, TimeSpan.FromSeconds(60));
            foreach (var (key, value) in acknowledged)
            {
                var (status, read, _) = await KvClient.GetAsync(http, oldLeader.PublicUrl, key);
                Assert.Equal(HttpStatusCode.OK, status);
                Assert.Equal(value, read);
            }
        });
    }

    [Fact]
    public async Task Without_a_majority_a_write_gets_503_with_retry_after_and_changes_nothing()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await cluster.WithOutputOnFailureAsync(async () =>
        {
            var http = cluster.Nodes.Http;
            var leader = await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            var lone = cluster.Nodes.Nodes.First(n => n != leader);
            foreach (var node in cluster.Nodes.Nodes.Where(n => n != lone))
                await node.KillAsync();

            // The lone node learns it has no leader once its election timeout passes.
            HttpResponseMessage? response = null;
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (DateTime.UtcNow < deadline)
            {
                response?.Dispose();
                response = await KvClient.PutAsync(http, lone.PublicUrl, "minority", "1");
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                    break;
                await Task.Delay(50);
            }

            Assert.Equal(HttpStatusCode.ServiceUnavailable, response!.StatusCode);
            Assert.True(response.Headers.RetryAfter is not null, "503 without Retry-After");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var (status, _, _) = await KvClient.GetAsync(http, lone.PublicUrl, "minority", "local");
            Assert.Equal(HttpStatusCode.NotFound, status);
            response.Dispose();
        });
    }

    [Fact]
    public async Task A_linearizable_read_right_after_the_leader_dies_sees_the_last_acknowledged_write()
    {
        // The write is acknowledged, then the leader dies before the followers hear the new commit
        // index; the next leader must not answer a read index that misses it (it did in .NEXT's own
        // follower barrier, found by the fault suite).
        await using var cluster = await TestCluster.StartAsync(3);
        await cluster.WithOutputOnFailureAsync(async () =>
        {
            var http = cluster.Nodes.Http;
            for (var round = 0; round < 4; round++)
            {
                var leader = await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
                var value = $"\"round-{round}\"";
                using (var put = await KvClient.PutAsync(http, leader.PublicUrl, "last-write", value))
                    Assert.Equal(HttpStatusCode.OK, put.StatusCode);
                await leader.KillAsync();

                var follower = cluster.Nodes.Nodes.First(n => n != leader);
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
                (HttpStatusCode Status, string? Value, long Revision) read;
                do
                {
                    read = await KvClient.GetAsync(http, follower.PublicUrl, "last-write");
                }
                while (read.Status == HttpStatusCode.ServiceUnavailable && DateTime.UtcNow < deadline);

                Assert.Equal(HttpStatusCode.OK, read.Status);
                Assert.Equal(value, read.Value);
                leader.Start();
                await leader.WaitReadyAsync(http, TimeSpan.FromSeconds(60));
            }
        });
    }
}
