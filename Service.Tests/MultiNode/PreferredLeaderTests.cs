using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GeoLedger.Cluster;
using GeoLedger.LocalCluster;
using Xunit.Abstractions;

namespace GeoLedger.Tests.MultiNode;

/// <summary>
/// The preferred leader (node config <c>priority</c>) on a real 3-node cluster: node-0 is preferred. Leadership goes to
/// it; killed, another member leads; restarted behind the others (it missed 150 writes and every leader sends
/// it one entry per request, so catching up takes seconds), it gets leadership back within the printed bound after it
/// caught up, and never while it lags.
/// </summary>
[Collection(MultiNodeCollection.Name)]
public sealed class PreferredLeaderTests(ITestOutputHelper output)
{
    private const string Preferred = "node-0";
    private const int UpperElectionTimeoutMs = 350;
    private const int MissedWrites = 150;
    private const string Unreachable = "(unreachable)";

    /// <summary>The service's bound (<see cref="LeaderPreference.Bound"/> for this test's election timeout), plus this test's polling and HTTP time.</summary>
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(UpperElectionTimeoutMs * LeaderPreference.WindowInElectionTimeouts);
    private static readonly TimeSpan ServiceBound = LeaderPreference.BoundFor(Window);
    private static readonly TimeSpan MeasurementSlack = TimeSpan.FromSeconds(1);

    private sealed record View(string? Leader, long CommitIndex, long? PreferredMatch, string? PreferredStatus, JsonElement Body);

    [Fact]
    public async Task Leadership_returns_to_the_preferred_member_within_the_bound_after_it_catches_up_and_never_while_it_lags()
    {
        var root = Path.Combine(Path.GetTempPath(), "geoledger-cluster-tests", Guid.NewGuid().ToString("N"));
        var lines = new ConcurrentQueue<string>();
        var layout = ClusterLayout.OnLoopback(root, 3).WithPriorities(new Dictionary<string, int> { [Preferred] = 10 });
        var settings = new Dictionary<string, string>
        {
            ["Raft:lowerElectionTimeout"] = "250",
            ["Raft:upperElectionTimeout"] = UpperElectionTimeoutMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Ledger:TestOneEntryPerRequestTo"] = Preferred,
        };
        await using var nodes = LocalClusterNodes.Start(layout, settings, lines.Enqueue);
        try
        {
            var http = nodes.Http;
            var preferred = nodes[Preferred];
            var bound = ServiceBound + MeasurementSlack;

            // 1. Whoever wins the first election, leadership goes to the preferred member.
            var first = await nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
            var initial = Stopwatch.StartNew();
            await Conditions.WaitUntilAsync(async () => await nodes.LeaderSeenByAsync(first) == Preferred, TimeSpan.FromSeconds(30), "the preferred member leads");
            output.WriteLine($"first leader {first.Id}; {Preferred} led {initial.ElapsedMilliseconds} ms later");
            var view = await ViewAsync(http, preferred);
            Assert.Equal(Preferred, view.Body.GetProperty("preferredLeader").GetString());
            Assert.Equal(10, view.Body.GetProperty("members").EnumerateArray().Single(m => m.GetProperty("id").GetString() == Preferred).GetProperty("priority").GetInt32());

            // 2. The preferred leader dies; another member leads and takes writes the preferred one misses.
            await preferred.KillAsync();
            var survivors = nodes.Nodes.Where(n => n != preferred).ToList();
            var other = await nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30), survivors);
            for (var i = 0; i < MissedWrites; i++)
            {
                using var put = await KvClient.PutAsync(http, other.PublicUrl, $"missed/{i % 20}", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            }

            // 3. It comes back behind. Watch the leader's view until leadership moves.
            preferred.Start();
            var clock = Stopwatch.StartNew();
            TimeSpan? caughtUpAt = null;
            TimeSpan? handedAt = null;
            long largestLag = 0;
            var lagging = 0;
            var patience = TimeSpan.FromSeconds(120);
            while (handedAt is null)
            {
                if (clock.Elapsed > patience)
                    throw new TimeoutException($"leadership did not return to {Preferred} within {patience.TotalSeconds:0} s of its restart (seen caught up: {(caughtUpAt is { } c ? $"{c.TotalMilliseconds:0} ms after restart" : "never")})");
                var seen = await ViewAsync(http, other);
                if (seen.Leader == Unreachable)
                {
                    await Task.Delay(20); // a slow answer on a busy machine: no fact either way
                    continue;
                }

                if (seen.Leader == other.Id && seen.PreferredMatch is { } match)
                {
                    // Caught up as the service counts it (LeaderPreferenceRules.CatchUpSlack behind the commit index at most):
                    // a strict match >= commit made a transfer within the slack, on a slow machine, look like one while it lagged.
                    var caughtUp = seen.PreferredStatus == "available" && LeaderPreferenceRules.IsCaughtUp(match, seen.CommitIndex);
                    if (caughtUp)
                    {
                        caughtUpAt ??= clock.Elapsed;
                    }
                    else
                    {
                        Assert.True(caughtUpAt is null, $"{Preferred} fell behind again after it had caught up (match {match}, commit {seen.CommitIndex})");
                        lagging++;
                        largestLag = Math.Max(largestLag, seen.CommitIndex - match);
                    }
                }
                else if (seen.Leader != other.Id)
                {
                    Assert.True(caughtUpAt is not null, $"leadership left {other.Id} (leader now {seen.Leader ?? "none"}) before {Preferred} was seen caught up: a transfer while it lagged");
                    if (seen.Leader == Preferred)
                        handedAt = clock.Elapsed;
                }

                await Task.Delay(20);
            }

            var took = handedAt.Value - caughtUpAt!.Value;
            output.WriteLine($"{Preferred} restarted {MissedWrites}+ entries behind: lagging in {lagging} polls (largest lag {largestLag} entries), "
                + $"caught up {caughtUpAt.Value.TotalMilliseconds:0} ms after restart, led {handedAt.Value.TotalMilliseconds:0} ms after restart: "
                + $"{took.TotalMilliseconds:0} ms after catching up; bound {bound.TotalMilliseconds:0} ms "
                + $"(check {LeaderPreference.CheckInterval.TotalMilliseconds:0} ms + 2 x window {Window.TotalMilliseconds:0} ms + {MeasurementSlack.TotalMilliseconds:0} ms polling)");
            Assert.True(lagging > 0, $"{Preferred} was never seen lagging: the test did not exercise the catch-up wait");
            Assert.True(took <= bound, $"leadership returned {took.TotalMilliseconds:0} ms after {Preferred} caught up; the bound is {bound.TotalMilliseconds:0} ms");

            // The old leader's /v1/cluster tells the transfer it made.
            await Conditions.WaitUntilAsync(async () => (await ViewAsync(http, other)).Body.GetProperty("lastTransfer") is { ValueKind: JsonValueKind.Object } t && t.GetProperty("outcome").GetString() == "succeeded", TimeSpan.FromSeconds(10), "the old leader reports the transfer succeeded");
            var transfer = (await ViewAsync(http, other)).Body.GetProperty("lastTransfer");
            Assert.Equal(other.Id, transfer.GetProperty("from").GetString());
            Assert.Equal(Preferred, transfer.GetProperty("to").GetString());
            Assert.True(transfer.GetProperty("tookMs").GetInt64() > 0);

        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\n--- node output ---\n{string.Join('\n', lines)}\n--- end of node output ---\n{e}");
        }
        finally
        {
            await nodes.DisposeAsync();
            if (Directory.Exists(root))
                Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<View> ViewAsync(HttpClient http, NodeProcess node)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            var body = await http.GetFromJsonAsync<JsonElement>(new Uri(node.PublicUrl, "/v1/cluster"), cts.Token);
            var leader = body.GetProperty("leader") is { ValueKind: JsonValueKind.Object } l ? l.GetProperty("id").GetString() : null;
            var member = body.GetProperty("members").EnumerateArray().Single(m => m.GetProperty("id").GetString() == Preferred);
            var match = member.GetProperty("matchIndex") is { ValueKind: JsonValueKind.Number } n ? n.GetInt64() : (long?)null;
            return new View(leader, body.GetProperty("commitIndex").GetInt64(), match, member.GetProperty("status").GetString(), body);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            return new View(Unreachable, 0, null, null, default);
        }
    }
}
