using System.Net;

namespace GeoLedger.Tests.MultiNode;

[Collection(MultiNodeCollection.Name)]
public sealed class RestartTests
{
    [Fact]
    public async Task A_killed_single_node_restarted_on_its_folder_serves_every_acknowledged_key()
    {
        // A small snapshot interval makes the restart read a snapshot and replay the log after it.
        await using var cluster = await TestCluster.StartAsync(1, new Dictionary<string, string> { ["Ledger:SnapshotInterval"] = "40" });
        await cluster.WithOutputOnFailureAsync(async () =>
        {
            var node = cluster.Nodes.Nodes[0];
            var http = cluster.Nodes.Http;
            var acknowledged = new Dictionary<string, long>();
            for (var i = 0; i < 150; i++)
            {
                using var put = await KvClient.PutAsync(http, node.PublicUrl, $"key-{i}", $"{{\"i\":{i}}}");
                Assert.Equal(HttpStatusCode.OK, put.StatusCode);
                acknowledged[$"key-{i}"] = long.Parse(put.Headers.ETag!.Tag.Trim('"'));
            }

            await node.KillAsync();
            node.Start();
            await node.WaitReadyAsync(http, TimeSpan.FromSeconds(60));

            Assert.NotEmpty(Directory.GetFiles(Path.Combine(node.Spec.DataDirectory, "snapshots")));
            foreach (var (key, revision) in acknowledged)
            {
                var (status, value, actualRevision) = await KvClient.GetAsync(http, node.PublicUrl, key);
                Assert.Equal(HttpStatusCode.OK, status);
                Assert.Equal($"{{\"i\":{key["key-".Length..]}}}", value);
                Assert.Equal(revision, actualRevision);
            }
        });
    }
}
