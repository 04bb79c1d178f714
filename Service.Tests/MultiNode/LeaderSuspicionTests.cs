using System.Net;
using GeoLedger.LocalCluster;
using Xunit.Abstractions;

namespace GeoLedger.Tests.MultiNode;

/// <summary>
/// A follower must not send clients to a leader that just died: from the leader's SIGKILL until a new
/// leader is known, a write sent to a follower waits (or at worst answers 503) instead of answering
/// 307 to the dead leader, where the client only finds a refused connection.
/// </summary>
[Collection(MultiNodeCollection.Name)]
public sealed class LeaderSuspicionTests(ITestOutputHelper output)
{
    private const int Writers = 8;

    [Fact]
    public async Task Writes_sent_to_a_follower_right_after_the_leader_is_killed_are_never_redirected_to_the_dead_leader()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await cluster.WithOutputOnFailureAsync(async () =>
        {
            var http = cluster.Nodes.Http;
            var leader = await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            var follower = cluster.Nodes.Nodes.First(n => n != leader);
            using (var before = await KvClient.PutAsync(http, follower.PublicUrl, "before-kill", "0"))
            {
                Assert.Equal(HttpStatusCode.TemporaryRedirect, before.StatusCode);
                Assert.Equal(leader.PublicUrl.Authority, before.Headers.Location?.Authority);
            }

            await leader.KillAsync();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            var histories = await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => WriteUntilAcceptedAsync(http, follower, leader, $"after-kill-{w}", deadline)));

            var report = string.Join("\n", histories.Select((h, w) => $"writer {w}: {string.Join(", ", h)}"));
            output.WriteLine(report);
            Assert.False(histories.Any(h => h.Any(step => step.StartsWith("307 to the dead leader", StringComparison.Ordinal))), "A follower redirected to the dead leader:\n" + report);
            Assert.True(histories.All(h => h[^1].StartsWith("200", StringComparison.Ordinal)), "Not every write was taken:\n" + report);
        });
    }

    /// <summary>
    /// Sends one write to <paramref name="follower"/> again and again (following a 307 once) until it is
    /// taken or the deadline passes; returns what happened, one entry per answer. A 503 is retried at
    /// once: it is only given after the node's election patience.
    /// </summary>
    private static async Task<List<string>> WriteUntilAcceptedAsync(HttpClient http, NodeProcess follower, NodeProcess dead, string key, DateTime deadline)
    {
        var history = new List<string>();
        while (DateTime.UtcNow < deadline)
        {
            using var first = await KvClient.PutAsync(http, follower.PublicUrl, key, "1");
            var answer = first;
            HttpResponseMessage? redirected = null;
            try
            {
                if (first.StatusCode == HttpStatusCode.TemporaryRedirect)
                {
                    var location = first.Headers.Location!;
                    if (location.Authority == dead.PublicUrl.Authority)
                    {
                        history.Add("307 to the dead leader " + location.Authority);
                        return history;
                    }

                    history.Add("307 to " + location.Authority);
                    try
                    {
                        redirected = await KvClient.PutAsync(http, new Uri(location.GetLeftPart(UriPartial.Authority)), key, "1");
                    }
                    catch (HttpRequestException e)
                    {
                        history.Add("connection error at " + location.Authority + ": " + e.Message);
                        continue;
                    }

                    answer = redirected;
                }

                history.Add($"{(int)answer.StatusCode} from {answer.Headers.GetValues("X-GeoLedger-Node").FirstOrDefault()}");
                if (answer.StatusCode == HttpStatusCode.OK)
                    return history;
                if (answer.StatusCode is not (HttpStatusCode.ServiceUnavailable or HttpStatusCode.TemporaryRedirect))
                    return history;
            }
            finally
            {
                redirected?.Dispose();
            }
        }

        history.Add("deadline passed");
        return history;
    }
}
