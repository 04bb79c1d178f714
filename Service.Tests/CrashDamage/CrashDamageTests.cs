using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GeoLedger.LocalCluster;
using GeoLedger.Tests.MultiNode;
using Xunit.Abstractions;

namespace GeoLedger.Tests.CrashDamage;

/// <summary>
/// A node whose log or snapshot was damaged after a SIGKILL (as a power cut can leave it) either refuses
/// to start with a message naming its data folder, or recovers, rejoins and catches up — and never serves
/// a value that was not acknowledged. The seed is printed; set GEOLEDGER_CRASH_SEED to replay it.
/// </summary>
[Collection(MultiNodeCollection.Name)]
public sealed class CrashDamageTests(ITestOutputHelper output)
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(DamageKind.TruncateSegment)]
    [InlineData(DamageKind.AppendGarbageToSegment)]
    [InlineData(DamageKind.FlipBytesInSegment)]
    [InlineData(DamageKind.FlipBytesInSegmentHeader)]
    [InlineData(DamageKind.CorruptNewestSnapshot)]
    public async Task A_follower_with_a_damaged_log_either_refuses_to_start_naming_its_folder_or_catches_up_and_never_serves_wrong_data(DamageKind kind)
    {
        var (random, replay) = Seed();
        // A low interval so each node has a snapshot and a log tail after it.
        await using var cluster = await TestCluster.StartAsync(3, new Dictionary<string, string> { ["Ledger:SnapshotInterval"] = "40" });
        await cluster.WithOutputOnFailureAsync(async () =>
        {
            var http = cluster.Nodes.Http;
            var leader = await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            var victim = cluster.Nodes.Nodes.First(n => n != leader);
            var acknowledged = new Acknowledged();
            for (var i = 0; i < 70; i++)
                await acknowledged.PutAsync(http, leader, $"key-{i}", $"{{\"i\":{i},\"v\":1}}");
            await WaitAppliedAsync(http, victim, leader);
            await WaitForSnapshotAsync(victim); // written in the background: the kill must not come first

            await victim.KillAsync();
            // Written while the victim is down, so it must catch up: during catch-up the first value is a legal answer.
            for (var i = 0; i < 70; i += 3)
                await acknowledged.PutAsync(http, leader, $"key-{i}", $"{{\"i\":{i},\"v\":2}}");
            for (var i = 70; i < 80; i++)
                await acknowledged.PutAsync(http, leader, $"key-{i}", $"{{\"i\":{i},\"v\":1}}");

            var damage = LogDamage.Apply(kind, victim.Spec.DataDirectory, random);
            output.WriteLine($"{replay}; {kind} on follower {victim.Id}: {damage}");
            var linesBefore = cluster.Output.Length;
            victim.Start();

            var outcome = await WatchRestartAsync(cluster, victim, () => LeaderAsync(cluster, victim), acknowledged, replay);
            output.WriteLine($"outcome of {kind}: {outcome}");
            if (outcome.StartsWith("refused", StringComparison.Ordinal))
            {
                AssertRefusedClearly(cluster.Output[linesBefore..], victim, replay);
                return;
            }

            // Recovered: it rejoined, caught up with the leader, and serves the newest acknowledged value of every key.
            var current = await LeaderAsync(cluster, victim);
            Assert.Equal(current.Id, await cluster.Nodes.LeaderSeenByAsync(victim));
            await acknowledged.AssertNewestAsync(http, victim, replay);
        });
    }

    [Theory]
    [InlineData(DamageKind.TruncateSegment)]
    [InlineData(DamageKind.AppendGarbageToSegment)]
    [InlineData(DamageKind.FlipBytesInSegment)]
    [InlineData(DamageKind.FlipBytesInSegmentHeader)]
    public async Task A_single_node_with_a_damaged_log_either_refuses_to_start_naming_its_folder_or_serves_a_prefix_of_what_it_acknowledged(DamageKind kind)
    {
        var (random, replay) = Seed();
        await using var cluster = await TestCluster.StartAsync(1, new Dictionary<string, string> { ["Ledger:SnapshotInterval"] = "40" });
        await cluster.WithOutputOnFailureAsync(async () =>
        {
            var http = cluster.Nodes.Http;
            var node = cluster.Nodes.Nodes[0];
            var acknowledged = new Acknowledged();
            for (var i = 0; i < 70; i++)
                await acknowledged.PutAsync(http, node, $"key-{i}", $"{{\"i\":{i}}}");

            await node.KillAsync();
            var damage = LogDamage.Apply(kind, node.Spec.DataDirectory, random);
            output.WriteLine($"{replay}; {kind} on the single node: {damage}");
            var linesBefore = cluster.Output.Length;
            node.Start();

            var outcome = await WatchRestartAsync(cluster, node, () => Task.FromResult(node), acknowledged, replay);
            output.WriteLine($"outcome of {kind}: {outcome}");
            if (outcome.StartsWith("refused", StringComparison.Ordinal))
            {
                AssertRefusedClearly(cluster.Output[linesBefore..], node, replay);
                return;
            }

            // Recovered: what it serves is exactly the acknowledged writes up to some revision, each with its value.
            var present = await acknowledged.AssertPrefixAsync(http, node, replay);
            output.WriteLine($"recovered {present} of {acknowledged.Count} acknowledged keys");
        });
    }

    /// <summary>
    /// Polls local reads of every key until the node exits (refused) or is ready and has applied the leader's
    /// commit index (recovered); fails on any value that was never acknowledged for its key.
    /// </summary>
    private static async Task<string> WatchRestartAsync(TestCluster cluster, NodeProcess node, Func<Task<NodeProcess>> leader, Acknowledged acknowledged, string replay)
    {
        var http = cluster.Nodes.Http;
        var deadline = DateTime.UtcNow + StartTimeout;
        var rounds = 0;
        while (DateTime.UtcNow < deadline)
        {
            if (!node.IsRunning)
            {
                // WaitForExitAsync also waits for the last redirected output lines, which the caller reads.
                using var drained = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await node.WaitForExitAsync(drained.Token);
                return $"refused (exit code {node.ExitCode}) after {rounds} read rounds";
            }

            if (await acknowledged.AssertNothingWrongAsync(http, node, replay))
            {
                rounds++;
                if (await IsReadyAsync(http, node) && await AppliedIndexAsync(http, node) >= await CommitIndexAsync(http, await leader()))
                {
                    // One more full round now that it has caught up.
                    await acknowledged.AssertNothingWrongAsync(http, node, replay);
                    return $"recovered: ready and caught up after {rounds} read rounds";
                }
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"{replay}: {node.Id} neither exited nor caught up within {StartTimeout.TotalSeconds:0} s");
    }

    private static void AssertRefusedClearly(string output, NodeProcess node, string replay)
    {
        Assert.True(node.ExitCode is not null and not 0, $"{replay}: {node.Id} exited with code {node.ExitCode}");
        var folder = node.Spec.DataDirectory;
        var lines = output.Split('\n').Where(l => l.StartsWith($"[{node.Id}]", StringComparison.Ordinal)).ToList();
        Assert.True(
            lines.Any(l => l.Contains("Node cannot start:", StringComparison.Ordinal) && l.Contains(folder, StringComparison.Ordinal)),
            $"{replay}: {node.Id} exited with code {node.ExitCode} but no 'Node cannot start' line names its folder {folder}:\n{string.Join('\n', lines.TakeLast(40))}");
        Assert.DoesNotContain(lines, l => l.Contains("Unhandled exception", StringComparison.Ordinal));
    }

    /// <summary>The leader as the nodes other than <paramref name="restarted"/> see it (a node still starting knows none).</summary>
    private static Task<NodeProcess> LeaderAsync(TestCluster cluster, NodeProcess restarted) =>
        cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30), cluster.Nodes.Nodes.Where(n => n != restarted).ToList());

    private (Random Random, string Replay) Seed()
    {
        var seed = Environment.GetEnvironmentVariable("GEOLEDGER_CRASH_SEED") is { Length: > 0 } fixedSeed
            ? int.Parse(fixedSeed, CultureInfo.InvariantCulture)
            : Random.Shared.Next();
        var replay = $"seed {seed} (replay with GEOLEDGER_CRASH_SEED={seed})";
        output.WriteLine(replay);
        return (new Random(seed), replay);
    }

    private static async Task WaitForSnapshotAsync(NodeProcess node)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (node.Spec.NewestSnapshotIndex() == 0)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{node.Id} wrote no snapshot within 30 s");
            await Task.Delay(20);
        }
    }

    private static async Task WaitAppliedAsync(HttpClient http, NodeProcess node, NodeProcess leader)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (await AppliedIndexAsync(http, node) >= await CommitIndexAsync(http, leader))
                return;
            await Task.Delay(20);
        }

        throw new TimeoutException($"{node.Id} did not apply the leader's commit index within 30 s");
    }

    private static async Task<bool> IsReadyAsync(HttpClient http, NodeProcess node)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(node.PublicUrl, "/readyz"));
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static async Task<long> AppliedIndexAsync(HttpClient http, NodeProcess node) => (await ClusterViewAsync(http, node))?.GetProperty("appliedIndex").GetInt64() ?? -1;

    private static async Task<long> CommitIndexAsync(HttpClient http, NodeProcess node) => (await ClusterViewAsync(http, node))?.GetProperty("commitIndex").GetInt64() ?? long.MaxValue;

    private static async Task<JsonElement?> ClusterViewAsync(HttpClient http, NodeProcess node)
    {
        try
        {
            return await http.GetFromJsonAsync<JsonElement>(new Uri(node.PublicUrl, "/v1/cluster"));
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }
}
