using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using GeoLedger.LocalCluster;
using GeoLedger.LocalCluster.Geo;
using GeoLedger.Tests.Operate;

namespace GeoLedger.Tests.MultiNode;

/// <summary>The geo cluster of the demo and the benchmark: Raft really goes through the delaying proxies.</summary>
[Collection(MultiNodeCollection.Name)]
public sealed class GeoClusterTests
{
    [Fact]
    public Task Every_Raft_link_goes_through_the_proxies_and_a_write_waits_for_the_nearest_majority() =>
        InGeoClusterAsync(async (cluster, leader, output) =>
        {
            // The nodes dial their peers through the proxies (Ledger:TestRaftVia); without it the links are not delayed at all.
            Assert.True(cluster.RaftConnections > 0, "no node dialed a peer through its proxy: Raft links are not delayed");

            // Timed writes start once one went through: a cluster that just started may hold another election first.
            await WriteAsync(cluster, "geo-first", output);
            for (var i = 0; i < 3; i++)
            {
                (leader, var took) = await WriteAsync(cluster, $"geo-{i}", output);
                var region = cluster.RegionOf(leader);
                var majority = GeoLinks.NearestMajorityRttMs(region, cluster.Regions);
                Assert.True(took >= TimeSpan.FromMilliseconds(majority), $"a write took {took.TotalMilliseconds:0} ms; the nearest majority of a leader in {region} is {majority} ms away");
            }

            // A client in another region reads the write on its own node, and that node names its region. The read is
            // linearizable: its node asked the leader for a read index by datagram, through its proxy both ways.
            var follower = cluster.Nodes.Nodes.First(n => n != leader);
            var reading = Stopwatch.StartNew();
            var (status, value, _) = await KvClient.GetAsync(cluster.Nodes.Http, cluster.ClientUrl(cluster.RegionOf(follower), follower), "geo-2");
            var readTook = reading.Elapsed;
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("\"far\"", value);
            var toLeader = GeoLinks.RttMs(cluster.RegionOf(follower), cluster.RegionOf(leader));
            Assert.True(readTook >= TimeSpan.FromMilliseconds(toLeader), $"a linearizable read on {follower.Id} took {readTook.TotalMilliseconds:0} ms; its leader is {toLeader} ms away");
            var rounds = (await PrometheusText.ScrapeAsync(cluster.Nodes.Http, follower)).All("geoledger_read_index_rounds_total", ("geoledger_transport", "datagram")).Sum(s => s.Value);
            Assert.True(rounds > 0, $"{follower.Id} asked for no read index by datagram");
            using var view = JsonDocument.Parse(await cluster.Nodes.Http.GetStringAsync(new Uri(follower.PublicUrl, "v1/cluster")));
            Assert.Equal(cluster.RegionOf(follower), view.RootElement.GetProperty("node").GetProperty("region").GetString());

            // Followers' acknowledgement datagrams reach the leader through the proxies too (the writes above waited for the
            // nearest majority all the same: a datagram that skipped the delay would have committed them sooner).
            var acknowledgements = (await PrometheusText.ScrapeAsync(cluster.Nodes.Http, leader)).All("geoledger_raft_ack_datagrams_total").Sum(s => s.Value);
            Assert.True(acknowledgements > 0, "the leader counted no acknowledgement datagram");

            // The links kept their delays: a proxy falling behind by an election timeout would look like a partition.
            Assert.True(cluster.MaxLinkLateness < TimeSpan.FromMilliseconds(500), $"a link released bytes {cluster.MaxLinkLateness.TotalMilliseconds:0} ms after their time");
        });

    [Fact]
    public Task A_write_that_arrives_while_a_heartbeat_is_on_the_wire_is_pushed_and_acknowledged_at_once() =>
        InGeoClusterAsync(async (cluster, _, output) =>
        {
            // Writes now and then, as a client that is not busy makes them: some arrive while .NEXT's heartbeat to the
            // nearest follower travels (a fifth of the time, with a 35-45 ms round trip and 200 ms heartbeats).
            var random = new Random(7);
            var patience = Stopwatch.StartNew();
            for (var i = 0; ; i++)
            {
                var (leader, _) = await WriteAsync(cluster, $"push-{i}", output);
                var pushes = await PrometheusText.ScrapeAsync(cluster.Nodes.Http, leader);
                var acknowledged = Pushes(pushes, "acknowledged");
                Assert.Equal(0, Pushes(pushes, "refused")); // a member in the leader's term that holds what its heartbeat matched takes the push
                if (acknowledged > 0)
                {
                    var (status, value, _) = await KvClient.GetAsync(cluster.Nodes.Http, leader.PublicUrl, $"push-{i}");
                    Assert.Equal((HttpStatusCode.OK, "\"far\""), (status, value));
                    break;
                }

                Assert.True(patience.Elapsed < TimeSpan.FromMinutes(2), $"no push acknowledged after {i + 1} writes");
                await Task.Delay(random.Next(50, 300)); // the pause between a client's writes, not a wait for a condition
            }
        });

    /// <summary>
    /// Runs <paramref name="test"/> on a fresh geo cluster (eastus, westus, centralus) once it has a leader and every node
    /// is ready, with that leader and the nodes' output; a failure carries the nodes' states, how late the links ran and
    /// the nodes' last output.
    /// </summary>
    private static async Task InGeoClusterAsync(Func<GeoCluster, NodeProcess, ConcurrentQueue<string>, Task> test)
    {
        using var folder = new TempFolder();
        var output = new ConcurrentQueue<string>();
        await using var cluster = GeoCluster.Start(folder.Path, ["eastus", "westus", "centralus"], output: output.Enqueue);
        try
        {
            var leader = await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(120));
            foreach (var node in cluster.Nodes.Nodes)
                await node.WaitReadyAsync(cluster.Nodes.Http, TimeSpan.FromSeconds(120));
            await test(cluster, leader, output);
        }
        catch (Exception e)
        {
            var nodes = string.Join(", ", cluster.Nodes.Nodes.Select(n => $"{n.Id} {(n.IsRunning ? "running" : $"exited {n.ExitCode}")}"));
            throw new Xunit.Sdk.XunitException($"{e.Message}\nnodes: {nodes}; links at most {cluster.MaxLinkLateness.TotalMilliseconds:0} ms late\n--- node output ---\n{string.Join('\n', output.TakeLast(150))}\n--- end of node output ---\n{e}");
        }
    }

    private static double Pushes(PrometheusText scrape, string outcome) =>
        scrape.All("geoledger_raft_entry_pushes_total", ("geoledger_outcome", outcome)).Sum(s => s.Value);

    /// <summary>
    /// Writes <paramref name="key"/> through the leader's own region until it answers 200, as a client does: a 503
    /// (no leader) or 307 (leadership moved) wrote nothing, and a 504 (leadership lost before the commit was seen)
    /// may have written the same value, so each is retried for up to a minute. Returns the leader that took the
    /// write and how long its 200 took.
    /// </summary>
    private static async Task<(NodeProcess Leader, TimeSpan Took)> WriteAsync(GeoCluster cluster, string key, ConcurrentQueue<string> output)
    {
        var patience = Stopwatch.StartNew();
        while (true)
        {
            var leader = await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(120));
            var clock = Stopwatch.StartNew();
            using var put = await KvClient.PutAsync(cluster.Nodes.Http, cluster.ClientUrl(cluster.RegionOf(leader), leader), key, "\"far\"");
            var took = clock.Elapsed;
            if (put.StatusCode == HttpStatusCode.OK)
                return (leader, took);
            var answer = $"write of {key} to {leader.Id}: {(int)put.StatusCode} after {took.TotalMilliseconds:0} ms: {await put.Content.ReadAsStringAsync()}";
            Assert.True(put.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TemporaryRedirect or HttpStatusCode.GatewayTimeout && patience.Elapsed < TimeSpan.FromMinutes(1), answer);
            output.Enqueue($"[test] {DateTime.UtcNow:HH:mm:ss.fff} {answer}; retrying");
        }
    }
}
