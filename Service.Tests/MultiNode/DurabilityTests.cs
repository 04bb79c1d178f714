using System.Diagnostics;
using System.Globalization;
using System.Net;
using GeoLedger.LocalCluster;
using Xunit.Abstractions;

namespace GeoLedger.Tests.MultiNode;

/// <summary>
/// An acknowledged write survives the crash of the two members that held it: the leader and the follower
/// whose acknowledgement made the majority, both SIGKILLed right after the client got its answer, while
/// the third member was down and never saw the write. The follower and the third member restart first
/// and elect a leader among themselves, so the write is there only if the follower had it on disk. A node's log
/// writes its records to the file only when it flushes them (<see cref="GeoLedger.Storage.SegmentedLog"/>), so what
/// was not flushed dies with the process, as in a power cut: the test sees whether the write was on disk, not merely
/// in the page cache. Rounds: GEOLEDGER_DURABILITY_ROUNDS (default 20).
/// </summary>
[Collection(MultiNodeCollection.Name)]
public sealed class DurabilityTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static int Rounds => Environment.GetEnvironmentVariable("GEOLEDGER_DURABILITY_ROUNDS") is { Length: > 0 } text
        ? int.Parse(text, CultureInfo.InvariantCulture)
        : 20;

    [Fact]
    public async Task A_write_acknowledged_just_before_the_leader_and_the_acknowledging_follower_are_killed_is_never_lost()
    {
        var (rounds, lost, killSpreads) = await RunRoundsAsync(Rounds, acknowledgeBeforeFlush: false, stopAtFirstLoss: false);

        output.WriteLine($"{rounds} rounds, {lost.Count} acknowledged writes lost; kill spread after the acknowledgement: max {killSpreads.Max():0.000} ms, median {killSpreads.Order().ElementAt(killSpreads.Count / 2):0.000} ms");
        Assert.True(rounds >= Rounds, $"only {rounds} of {Rounds} rounds completed");
        Assert.Empty(lost);
    }

    [Fact]
    public async Task The_same_crash_loses_an_acknowledged_write_when_followers_acknowledge_before_flushing()
    {
        // Proof that the test above can see the bug it guards against: with the fix switched off it must lose a write.
        var (rounds, lost, _) = await RunRoundsAsync(Rounds, acknowledgeBeforeFlush: true, stopAtFirstLoss: true);

        output.WriteLine($"acknowledge-before-flush: {lost.Count} acknowledged writes lost in {rounds} rounds ({string.Join(", ", lost)})");
        Assert.NotEmpty(lost);
    }

    private async Task<(int Rounds, List<string> Lost, List<double> KillSpreads)> RunRoundsAsync(int rounds, bool acknowledgeBeforeFlush, bool stopAtFirstLoss)
    {
        var settings = new Dictionary<string, string>
        {
            ["Ledger:TestAcknowledgeBeforeFlush"] = acknowledgeBeforeFlush ? "true" : "false",
            ["Ledger:WriteTimeoutMs"] = "3000",
        };
        await using var cluster = await TestCluster.StartAsync(3, settings);
        var lost = new List<string>();
        var spreads = new List<double>();
        var completed = 0;
        await cluster.WithOutputOnFailureAsync(async () =>
        {
            var http = cluster.Nodes.Http;
            for (var round = 0; completed < rounds && round < 3 * rounds && !(stopAtFirstLoss && lost.Count > 0); round++)
            {
                var leader = await cluster.Nodes.WaitForLeaderAsync(Patience);
                var followers = cluster.Nodes.Nodes.Where(n => n != leader).ToList();
                var (acknowledging, absent) = (followers[0], followers[1]);
                var (leaderPid, acknowledgingPid) = (leader.Pid ?? 0, acknowledging.Pid ?? 0);

                // The third member is down: the write's majority is the leader and the acknowledging follower.
                await absent.KillAsync();
                var key = $"round-{round}";
                var value = $"\"{Guid.NewGuid():N}\"";
                var acknowledged = false;
                using (var put = await KvClient.PutAsync(http, leader.PublicUrl, key, value))
                {
                    if (put.StatusCode == HttpStatusCode.OK)
                    {
                        // kill(2) straight away, both before anything else: the crash lands within microseconds of the answer.
                        var answered = Stopwatch.GetTimestamp();
                        Signals.TrySend(leaderPid, Signals.Kill);
                        Signals.TrySend(acknowledgingPid, Signals.Kill);
                        var spread = Stopwatch.GetElapsedTime(answered).TotalMilliseconds;
                        spreads.Add(spread);
                        acknowledged = spread < 1; // a round counts only if both kills landed within 1 ms of the acknowledgement
                    }

                    await leader.KillAsync(); // reaps the process killed above
                    await acknowledging.KillAsync();
                }

                // The two members other than the old leader come back first and elect one of them: the write
                // survives only if the acknowledging follower really had it on disk.
                absent.Start();
                acknowledging.Start();
                await cluster.Nodes.WaitForLeaderAsync(Patience, [absent, acknowledging]);
                leader.Start();
                foreach (var node in cluster.Nodes.Nodes)
                    await node.WaitReadyAsync(http, Patience);
                if (!acknowledged)
                    continue;

                completed++;
                var (status, read) = await ReadAsync(http, cluster, key);
                if (status != HttpStatusCode.OK || read != value)
                {
                    lost.Add(key);
                    output.WriteLine($"round {round}: {key} acknowledged as {value}, read back {status} {read}");
                }
            }
        });

        return (completed, lost, spreads);
    }

    /// <summary>A linearizable read from whoever leads now, retried while the cluster settles.</summary>
    private static async Task<(HttpStatusCode Status, string? Value)> ReadAsync(HttpClient http, TestCluster cluster, string key)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var leader = await cluster.Nodes.WaitForLeaderAsync(Patience);
            var (status, value, _) = await KvClient.GetAsync(http, leader.PublicUrl, key);
            if (status is HttpStatusCode.OK or HttpStatusCode.NotFound || DateTime.UtcNow > deadline)
                return (status, value);
            await Task.Delay(50); // 503: an election after the restarts; ask again
        }
    }
}
