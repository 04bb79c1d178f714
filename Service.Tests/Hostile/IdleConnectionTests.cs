using System.Net;
using System.Text;
using GeoLedger.LocalCluster;
using GeoLedger.Tests.MultiNode;
using Xunit.Abstractions;

namespace GeoLedger.Tests.Hostile;

/// <summary>
/// Idle TCP connections (no byte sent) beyond a node's file limit, on its client port and its Raft port: the node keeps
/// serving new clients and Raft, holds descriptors well under its limit, and stays within 200 MB of memory.
/// </summary>
[Collection(MultiNodeCollection.Name)]
public sealed class IdleConnectionTests(ITestOutputHelper output)
{
    private const string Secret = "idle-flood-cluster-secret";

    /// <summary>The nodes' open-file limit: low enough for one test process to pass it (the same failure happened at 20,000).</summary>
    private const int FileLimit = 1024;

    private const int ClientFlood = 2 * FileLimit;
    private const int RaftFlood = FileLimit / 2;
    private const int Probes = 10;
    private const long RssAllowanceBytes = 200L * 1024 * 1024;

    [Fact]
    public async Task Idle_connections_past_the_file_limit_leave_a_follower_serving_clients_and_raft()
    {
        var (cluster, leader) = await HostileCluster.StartAsync(3, new Dictionary<string, string> { ["Ledger:ClusterSecret"] = Secret }, ["prlimit", $"--nofile={FileLimit}:{FileLimit}", "--"]);
        await using (cluster)
            await cluster.RunAsync(() => RunAsync(cluster.Nodes, leader));
    }

    private async Task RunAsync(LocalClusterNodes cluster, NodeProcess leader)
    {
        var flooded = cluster.Nodes.First(n => n != leader);
        var other = cluster.Nodes.Last(n => n != leader && n != flooded);
        var pid = flooded.Pid ?? throw new InvalidOperationException("the flooded node is not running");
        var startRss = ProcessProbe.RssBytes(pid);
        output.WriteLine($"leader {leader.Id}; flooding {flooded.Id} (open-file limit {FileLimit}), RSS {ProcessProbe.Mb(startRss)}, {ProcessProbe.Sockets(pid)} sockets");

        var client = new IPEndPoint(IPAddress.Parse(flooded.PublicUrl.Host), flooded.PublicUrl.Port);
        var raft = new IPEndPoint(IPAddress.Parse(flooded.Spec.Member.Raft.Host), flooded.Spec.Member.Raft.Port);
        using var clientFlood = await IdleFlood.OpenAsync(client, ClientFlood);
        using var raftFlood = await IdleFlood.OpenAsync(raft, RaftFlood);
        var held = ProcessProbe.Sockets(pid);
        var descriptors = ProcessProbe.Descriptors(pid);
        output.WriteLine($"idle connections: client port {clientFlood.Connected} connected ({clientFlood.Failed} timed out), Raft port {raftFlood.Connected} connected ({raftFlood.Failed} timed out); {flooded.Id} holds {held} sockets, {descriptors} descriptors in all");

        // With the other follower gone, every commit needs the flooded node's Raft port.
        await other.KillAsync();
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(5) }) { Timeout = TimeSpan.FromSeconds(15) };
        var failures = new List<string>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60); // for all the probes together
        for (var i = 0; i < Probes; i++)
        {
            var status = await UntilOkAsync(http, deadline, HttpMethod.Put, new Uri(leader.PublicUrl, $"/v1/kv/idle-{i}"), $"{{\"value\":{i}}}");
            if (status != "200")
                failures.Add($"write {i}: {status}");
        }

        for (var i = 0; i < Probes; i++)
        {
            var status = await UntilOkAsync(http, deadline, HttpMethod.Get, new Uri(flooded.PublicUrl, $"/v1/kv/idle-{i}?consistency=linearizable"), null);
            if (status != "200")
                failures.Add($"read {i} from {flooded.Id}: {status}");
        }

        var heldAfter = ProcessProbe.Sockets(pid);
        var descriptorsAfter = ProcessProbe.Descriptors(pid);
        var peakRss = ProcessProbe.PeakRssBytes(pid);
        output.WriteLine($"after {Probes} writes and {Probes} reads on fresh connections: {failures.Count} failed; {flooded.Id} holds {heldAfter} sockets ({descriptorsAfter} descriptors), "
            + $"closed {clientFlood.ClosedByServer()} of the idle client connections and {raftFlood.ClosedByServer()} of the Raft ones; peak RSS {ProcessProbe.Mb(peakRss)}");

        Assert.True(flooded.IsRunning, $"{flooded.Id} exited (code {flooded.ExitCode}) under {ClientFlood + RaftFlood} idle connections");
        Assert.True(failures.Count == 0, $"{failures.Count} requests failed past the cap:\n{string.Join('\n', failures)}");
        Assert.True(Math.Max(descriptors, descriptorsAfter) <= FileLimit - 128, $"{flooded.Id} held {Math.Max(descriptors, descriptorsAfter)} descriptors ({Math.Max(held, heldAfter)} sockets) with an open-file limit of {FileLimit}: less than 128 left for the files it opens next");
        Assert.True(peakRss <= startRss + RssAllowanceBytes, $"{flooded.Id} peaked at {ProcessProbe.Mb(peakRss)}, more than 200 MB over its {ProcessProbe.Mb(startRss)} at the start");
    }

    /// <summary>
    /// A request, each attempt on a connection of its own, repeated while it is not attempted (503), has an unknown
    /// outcome (504, a retried write then answers its own value) or is redirected (307, to the leader named), until
    /// <paramref name="deadline"/>: an election on a loaded machine must not fail the test, a node that stopped serving
    /// must. The last status.
    /// </summary>
    private static async Task<string> UntilOkAsync(HttpClient http, DateTime deadline, HttpMethod method, Uri uri, string? json)
    {
        var target = uri;
        while (true)
        {
            var (status, location) = await SendFreshAsync(http, method, target, json);
            if (status == "200" || DateTime.UtcNow > deadline)
                return status;
            if (status == "307" && location is not null)
                target = location;
            else
                await Task.Delay(200);
        }
    }

    /// <summary>One request on a connection of its own; the status code (or what went wrong) and any Location.</summary>
    private static async Task<(string Status, Uri? Location)> SendFreshAsync(HttpClient http, HttpMethod method, Uri uri, string? json)
    {
        using var request = new HttpRequestMessage(method, uri);
        request.Headers.ConnectionClose = true;
        if (json is not null)
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        try
        {
            using var response = await http.SendAsync(request);
            return (((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture), response.Headers.Location);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return (e.GetType().Name + ": " + e.Message, null);
        }
    }
}
