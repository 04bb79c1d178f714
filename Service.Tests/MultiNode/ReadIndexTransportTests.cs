using System.Net;
using GeoLedger.LocalCluster;
using GeoLedger.Tests.Operate;

namespace GeoLedger.Tests.MultiNode;

/// <summary>
/// Which way a follower's read-index rounds go: by datagram to a leader that answers them, over HTTP to one that
/// does not (datagrams off there, as on a node of an older version); linearizable either way.
/// </summary>
[Collection(MultiNodeCollection.Name)]
public sealed class ReadIndexTransportTests
{
    private const int Rounds = 40;

    [Fact]
    public async Task A_follower_reads_by_datagram_from_a_leader_that_answers_them()
    {
        await using var cluster = await TestCluster.StartAsync(3, new Dictionary<string, string> { ["Ledger:ClusterSecret"] = "transport-test-secret" });
        await cluster.WithOutputOnFailureAsync(async () =>
        {
            var (follower, datagrams, http) = await ReadAfterEachWriteAsync(cluster);
            Assert.True(datagrams >= Rounds - 3, $"{follower.Id} sent {datagrams} rounds by datagram and {http} over HTTP for {Rounds} reads");
        });
    }

    [Fact]
    public async Task A_follower_reads_over_http_from_a_leader_that_does_not_answer_datagrams()
    {
        // Only node-0 sends datagrams, and it is kept a follower: whoever leads has no UDP socket on its Raft port.
        await using var cluster = await TestCluster.StartAsync(3, perNode: id => id == "node-0" ? null : new Dictionary<string, string> { ["Ledger:ReadIndexDatagrams"] = "false" });
        await cluster.WithOutputOnFailureAsync(async () =>
        {
            var asker = cluster.Nodes.Nodes.Single(n => n.Id == "node-0");
            await cluster.EnsureLeaderIsNotAsync(asker);
            var (follower, datagrams, http) = await ReadAfterEachWriteAsync(cluster, asker);
            Assert.Equal(0, datagrams);
            Assert.True(http >= Rounds, $"{follower.Id} sent {http} rounds over HTTP for {Rounds} reads");
        });
    }

    /// <summary>
    /// Writes on the leader and reads each write back linearizably on a follower, <see cref="Rounds"/> times; the
    /// rounds that follower sent by datagram and over HTTP meanwhile.
    /// </summary>
    private static async Task<(NodeProcess Follower, double Datagrams, double Http)> ReadAfterEachWriteAsync(TestCluster cluster, NodeProcess? follower = null)
    {
        var http = cluster.Nodes.Http;
        var leader = await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        follower ??= cluster.Nodes.Nodes.First(n => n != leader);
        var before = await PrometheusText.ScrapeAsync(http, follower);
        for (var i = 0; i < Rounds; i++)
        {
            using var put = await KvClient.PutAsync(http, leader.PublicUrl, "transport", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            var (status, value, _) = await KvClient.GetAsync(http, follower.PublicUrl, "transport");
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), value);
        }

        var after = await PrometheusText.ScrapeAsync(http, follower);
        return (follower, RoundsBy(after, "datagram") - RoundsBy(before, "datagram"), RoundsBy(after, "http") - RoundsBy(before, "http"));
    }

    private static double RoundsBy(PrometheusText scrape, string transport) =>
        scrape.All("geoledger_read_index_rounds_total", ("geoledger_transport", transport)).Sum(s => s.Value);
}
