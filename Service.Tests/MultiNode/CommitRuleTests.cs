using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit.Abstractions;

namespace GeoLedger.Tests.MultiNode;

/// <summary>
/// In a 5-member cluster the leader commits only what 3 members hold on disk. Three followers lag: the
/// leader sends them one entry per request (a test setting), and one of them is stopped and brought up
/// to date by a snapshot in each cycle; one follower is fast. While 16 clients write large values, the
/// leader's <c>/v1/cluster</c> is read over and over: its commit index (read first) must never exceed
/// the third highest of the members' match indexes (read after it), each the index a member acknowledged
/// after flushing (the leader's own: its flushed index). .NEXT's own rule commits the median of the
/// first three replies, the fast follower's index over a lagging one's.
/// </summary>
[Collection(MultiNodeCollection.Name)]
public sealed class CommitRuleTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Five_members_never_commit_an_entry_that_fewer_than_three_hold_on_disk()
    {
        var (samples, violations) = await WatchCommitsAsync(dotNextRule: false, cycles: 3);

        Assert.True(samples > 50, $"only {samples} views of the leader were read");
        Assert.Empty(violations);
    }

    [Fact]
    public async Task With_dotnexts_own_commit_rule_the_leader_commits_entries_only_two_hold()
    {
        // Proof that the test above sees the bug it guards against.
        var (_, violations) = await WatchCommitsAsync(dotNextRule: true, cycles: 10, stopAtFirstViolation: true);

        Assert.NotEmpty(violations);
    }

    private async Task<(int Samples, List<string> Violations)> WatchCommitsAsync(bool dotNextRule, int cycles, bool stopAtFirstViolation = false)
    {
        const string snapshotFollower = "node-4";
        string[] laggingFollowers = ["node-2", "node-3"];
        var settings = new Dictionary<string, string>
        {
            ["Ledger:TestDotNextCommitRule"] = dotNextRule ? "true" : "false",
            ["Ledger:SnapshotInterval"] = "20",
            ["Ledger:SnapshotCatchUpEntries"] = "0",
            ["Ledger:WriteTimeoutMs"] = "20000",
            // Three followers take one entry per request and stay behind the fast one, answering for less.
            ["Ledger:TestOneEntryPerRequestTo"] = string.Join(',', [snapshotFollower, .. laggingFollowers]),
        };
        await using var cluster = await TestCluster.StartAsync(5, settings);
        var violations = new List<string>();
        var samples = 0;
        await cluster.WithOutputOnFailureAsync(async () =>
        {
            var http = cluster.Nodes.Http;
            var slow = cluster.Nodes[snapshotFollower];
            var leader = await cluster.EnsureLeaderIsNotAsync([slow, .. laggingFollowers.Select(id => cluster.Nodes[id])]);

            // Each cycle: the lagging follower misses writes (the leader compacts past its log), then catches up
            // under load, by a snapshot first and then one 1 MiB batch per round behind the others.
            var installs = 0;
            for (var cycle = 0; cycle < cycles && !(stopAtFirstViolation && violations.Count > 0); cycle++)
            {
                await slow.KillAsync();
                var snapshotBefore = slow.Spec.NewestSnapshotIndex();
                using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(7));
                var large = $"\"{new string('v', 200_000)}\""; // 5 per 1 MiB replication batch
                var writers = Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
                {
                    for (var i = 0; !stop.IsCancellationRequested; i++)
                    {
                        using var put = await KvClient.PutAsync(http, leader.PublicUrl, $"watched-{cycle}-{w}-{i}", large);
                    }
                })).ToList();
                var restartAt = DateTime.UtcNow + TimeSpan.FromSeconds(1.5);
                while (!stop.IsCancellationRequested)
                {
                    if (!slow.IsRunning && DateTime.UtcNow > restartAt)
                        slow.Start();
                    var view = await http.GetFromJsonAsync<JsonElement>(new Uri(leader.PublicUrl, "/v1/cluster"));
                    if (view.GetProperty("leader").ValueKind == JsonValueKind.Null || view.GetProperty("leader").GetProperty("id").GetString() != leader.Id)
                        continue;
                    samples++;
                    var commit = view.GetProperty("commitIndex").GetInt64();
                    var held = view.GetProperty("members").EnumerateArray()
                        .Select(m => m.TryGetProperty("matchIndex", out var match) ? match.GetInt64() : 0)
                        .OrderDescending()
                        .ToList();
                    if (commit > held[2])
                    {
                        violations.Add($"cycle {cycle}: commit index {commit} with match indexes [{string.Join(", ", held)}]: held by {held.Count(h => h >= commit)} of 5");
                        if (stopAtFirstViolation)
                            await stop.CancelAsync();
                    }
                }

                await Task.WhenAll(writers);
                if (!slow.IsRunning)
                    slow.Start();
                await slow.WaitReadyAsync(http, Patience);
                if (slow.Spec.NewestSnapshotIndex() > snapshotBefore)
                    installs++;
            }

            output.WriteLine($"the lagging follower caught up through a snapshot in {installs} of the cycles");
            output.WriteLine($"{samples} views of the leader, {violations.Count} commit indexes held by fewer than 3 members");
            foreach (var violation in violations.Take(10))
                output.WriteLine(violation);
        });

        return (samples, violations);
    }
}
