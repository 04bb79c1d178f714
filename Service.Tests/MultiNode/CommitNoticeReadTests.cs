using System.Globalization;
using System.Net;
using System.Text.Json;
using Xunit.Abstractions;

namespace GeoLedger.Tests.MultiNode;

/// <summary>
/// Reading one's own write on a follower does not wait for the leader's next heartbeat: the leader's commit notice
/// tells the follower at once. The heartbeat period here (3.6 s) is far longer than the follower's read timeout
/// (1 s), so without the notice a read could succeed only when a heartbeat happened to fall inside that second.
/// </summary>
[Collection(MultiNodeCollection.Name)]
public sealed class CommitNoticeReadTests(ITestOutputHelper output)
{
    private const int Iterations = 10;

    [Fact]
    public async Task A_minRevision_read_on_a_follower_is_answered_well_before_the_next_heartbeat()
    {
        var settings = new Dictionary<string, string>
        {
            ["Raft:lowerElectionTimeout"] = "4000",
            ["Raft:upperElectionTimeout"] = "6000",
            ["Raft:heartbeatThreshold"] = "0.9",
            ["Ledger:ReadTimeoutMs"] = "1000",
        };
        await using var cluster = await TestCluster.StartAsync(3, settings);
        await cluster.WithOutputOnFailureAsync(async () =>
        {
            var http = cluster.Nodes.Http;
            var leader = await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
            var follower = cluster.Nodes.Nodes.First(n => n != leader);
            for (var i = 0; i < Iterations; i++)
            {
                var value = $"\"n{i}\"";
                long revision;
                using (var put = await KvClient.PutAsync(http, leader.PublicUrl, "notice", value))
                {
                    Assert.Equal(HttpStatusCode.OK, put.StatusCode);
                    revision = long.Parse(Assert.Single(put.Headers.GetValues("X-GeoLedger-Revision")), CultureInfo.InvariantCulture);
                }

                using var read = await http.GetAsync(new Uri(follower.PublicUrl, $"/v1/kv/notice?minRevision={revision}"));
                var text = await read.Content.ReadAsStringAsync();
                Assert.True(read.StatusCode == HttpStatusCode.OK, $"write {i}: minRevision={revision} on {follower.Id} answered {(int)read.StatusCode}: {text}");
                Assert.Equal(value, JsonDocument.Parse(text).RootElement.GetProperty("value").GetRawText());
            }

            output.WriteLine($"{Iterations} writes on {leader.Id}, each read back on {follower.Id} with minRevision inside its 1 s read timeout");
        });
    }
}
