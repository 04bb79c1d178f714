using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GeoLedger.LocalCluster;

namespace GeoLedger.Tests.MultiNode;

[Collection(MultiNodeCollection.Name)]
public sealed class CatchUpTests
{
    [Fact]
    public async Task A_node_stopped_while_the_leader_compacted_past_its_log_catches_up_through_a_snapshot()
    {
        // The straggler never snapshots on its own, so a snapshot in its folder can only be an installed one.
        const string straggler = "node-2";
        await using var cluster = await TestCluster.StartAsync(3,
            new Dictionary<string, string> { ["Ledger:SnapshotInterval"] = "100", ["Ledger:SnapshotCatchUpEntries"] = "0" },
            id => id == straggler ? new Dictionary<string, string> { ["Ledger:SnapshotInterval"] = "100000000" } : null);
        await cluster.WithOutputOnFailureAsync(async () =>
        {
            var http = cluster.Nodes.Http;
            var node = cluster.Nodes[straggler];
            var leader = await cluster.EnsureLeaderIsNotAsync(node);

            using (var first = await KvClient.PutAsync(http, leader.PublicUrl, "early", "1"))
                Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            var stragglerLastIndex = await WaitAppliedEverywhereAsync(cluster);
            await node.KillAsync();

            var written = new Dictionary<string, string> { ["early"] = "1" };
            for (var i = 0; i < 350; i++)
            {
                using var put = await KvClient.PutAsync(http, leader.PublicUrl, $"k{i}", i.ToString(CultureInfo.InvariantCulture));
                Assert.Equal(HttpStatusCode.OK, put.StatusCode);
                written[$"k{i}"] = i.ToString(CultureInfo.InvariantCulture);
            }

            var leaderSnapshot = await WaitForSnapshotAsync(leader, minIndex: stragglerLastIndex + 1);
            Assert.True(leaderSnapshot > stragglerLastIndex, $"leader snapshot {leaderSnapshot} does not cover the straggler's last index {stragglerLastIndex}");

            node.Start();
            await node.WaitReadyAsync(http, TimeSpan.FromSeconds(60));
            var installed = await WaitForSnapshotAsync(node, minIndex: stragglerLastIndex + 1);
            Assert.True(installed > stragglerLastIndex);
            foreach (var (key, value) in written)
            {
                var (status, read, _) = await KvClient.GetAsync(http, node.PublicUrl, key);
                Assert.Equal(HttpStatusCode.OK, status);
                Assert.Equal(value, read);
            }
        });
    }

    [Fact]
    public async Task A_node_whose_answer_to_a_snapshot_install_was_lost_still_catches_up()
    {
        // .NEXT's follower refuses a snapshot it already installed, and .NEXT's leader answers a refusal by
        // sending it again, forever: the log turns that refusal into success (LedgerLog.ReplicateAsync).
        const string straggler = "node-2";
        await using var cluster = await TestCluster.StartAsync(3,
            new Dictionary<string, string> { ["Ledger:SnapshotInterval"] = "100", ["Ledger:SnapshotCatchUpEntries"] = "0" },
            id => id == straggler ? new Dictionary<string, string> { ["Ledger:TestSnapshotAnswerDelayMs"] = "2500" } : null);
        await cluster.WithOutputOnFailureAsync(async () =>
        {
            var http = cluster.Nodes.Http;
            var node = cluster.Nodes[straggler];
            var leader = await cluster.EnsureLeaderIsNotAsync(node);
            await node.KillAsync();
            for (var i = 0; i < 250; i++)
            {
                using var put = await KvClient.PutAsync(http, leader.PublicUrl, $"k{i}", i.ToString(CultureInfo.InvariantCulture));
                Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            }

            await WaitForSnapshotAsync(leader, minIndex: 200);
            node.Start();
            await node.WaitReadyAsync(http, TimeSpan.FromSeconds(60));
            await WaitAppliedEverywhereAsync(cluster);
            var (status, read, _) = await KvClient.GetAsync(http, node.PublicUrl, "k249", "local");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("249", read);
        });
    }

    [Fact]
    public async Task A_node_20_MB_behind_catches_up_and_its_folder_stays_within_four_times_the_live_data()
    {
        const string straggler = "node-2";
        await using var cluster = await TestCluster.StartAsync(3);
        await cluster.WithOutputOnFailureAsync(async () =>
        {
            var http = cluster.Nodes.Http;
            var node = cluster.Nodes[straggler];
            var leader = await cluster.EnsureLeaderIsNotAsync(node);
            await node.KillAsync();

            var value = JsonSerializer.Serialize(new string('x', 50_000));
            const int keys = 420; // 420 × ~50 KB ≈ 21 MB of live data
            for (var i = 0; i < keys; i++)
            {
                using var put = await KvClient.PutAsync(http, leader.PublicUrl, $"big-{i}", value);
                Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            }

            var liveBytes = (long)keys * (value.Length + "big-000".Length);
            Assert.True(liveBytes >= 20_000_000);
            node.Start();
            await node.WaitReadyAsync(http, TimeSpan.FromSeconds(60));
            await WaitAppliedEverywhereAsync(cluster);
            for (var i = 0; i < keys; i += 7)
            {
                var (status, read, _) = await KvClient.GetAsync(http, node.PublicUrl, $"big-{i}", "local");
                Assert.Equal(HttpStatusCode.OK, status);
                Assert.Equal(value, read);
            }

            var folderBytes = Directory.EnumerateFiles(node.Spec.DataDirectory, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
            var limit = 4 * liveBytes + 2L * new GeoLedger.Storage.SegmentedLogOptions().SegmentBytes;
            Assert.True(folderBytes <= limit, $"data folder {folderBytes} bytes > 4 × live {liveBytes} + two log segments");
        });
    }

    /// <summary>Waits until every running node applied the same index, and returns it.</summary>
    private static async Task<long> WaitAppliedEverywhereAsync(TestCluster cluster)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var applied = new HashSet<long>();
            foreach (var node in cluster.Nodes.Nodes.Where(n => n.IsRunning))
            {
                var view = await cluster.Nodes.Http.GetFromJsonAsync<JsonElement>(new Uri(node.PublicUrl, "/v1/cluster"));
                applied.Add(view.GetProperty("appliedIndex").GetInt64());
                applied.Add(view.GetProperty("commitIndex").GetInt64());
            }

            if (applied.Count == 1)
                return applied.Single();
            await Task.Delay(50);
        }

        throw new TimeoutException("the nodes did not converge on one applied index");
    }

    /// <summary>Waits for a snapshot file ("index-term") of at least <paramref name="minIndex"/> in the node's folder.</summary>
    private static async Task<long> WaitForSnapshotAsync(NodeProcess node, long minIndex)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var newest = node.Spec.NewestSnapshotIndex();
            if (newest >= minIndex)
                return newest;
            await Task.Delay(50);
        }

        throw new TimeoutException($"{node.Id} has no snapshot at or past index {minIndex}");
    }
}
