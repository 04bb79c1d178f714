using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using GeoLedger.LocalCluster;

namespace GeoLedger.Tests.MultiNode;

/// <summary>
/// Membership changes at runtime on real node processes: the cluster grows 3 → 5 → 3 while clients increment a
/// counter with compare-and-set, and the leader is SIGKILLed during every change.
/// </summary>
[Collection(MultiNodeCollection.Name)]
public sealed class MembershipChangeTests
{
    private const string Counter = "counter";

    [Fact]
    public async Task Grow_to_five_and_shrink_to_three_under_cas_load_with_a_leader_kill_during_each_change_loses_no_increment()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await cluster.WithOutputOnFailureAsync(async () =>
        {
            var leader = await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            using (var created = await KvClient.PutAsync(cluster.Nodes.Http, leader.PublicUrl, Counter, "0"))
                Assert.Equal(HttpStatusCode.OK, created.StatusCode);

            var load = new CasLoad(cluster);
            var clients = Enumerable.Range(0, 3).Select(_ => load.RunAsync()).ToList();
            await load.WaitForAcknowledgedAsync(20);

            var added3 = await ChangeWithLeaderKillAsync(cluster, "add node-3", () => cluster.AddNodeAsync("node-3"));
            await load.WaitForAcknowledgedAsync(load.Acknowledged + 10);
            var added4 = await ChangeWithLeaderKillAsync(cluster, "add node-4", () => cluster.AddNodeAsync("node-4"));
            await load.WaitForAcknowledgedAsync(load.Acknowledged + 10);
            await ExpectVotersAsync(cluster, ["node-0", "node-1", "node-2", "node-3", "node-4"]);

            // Shrink by two members of the first three: the cluster lives on with two it gained at runtime.
            var leaving = new List<NodeProcess>();
            foreach (var _ in Enumerable.Range(0, 2))
            {
                var current = await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30), cluster.Voters.Where(n => n.IsRunning).ToList());
                var target = cluster.Voters.First(n => n != current && n != added3 && n != added4 && n.IsRunning);
                leaving.Add(target);
                await ChangeWithLeaderKillAsync(cluster, $"remove {target.Id}", () => cluster.RemoveNodeAsync(target));
                await load.WaitForAcknowledgedAsync(load.Acknowledged + 10);
            }

            var remaining = cluster.Voters.Select(n => n.Id).Order(StringComparer.Ordinal).ToList();
            await ExpectVotersAsync(cluster, remaining);

            // A removed node says so and answers the API with 410; it does not disturb the others' elections.
            foreach (var gone in leaving)
            {
                await Conditions.WaitUntilAsync(async () => (await MembershipClient.ClusterSeenByAsync(cluster.Nodes.Http, gone))?.Membership == "removed", TimeSpan.FromSeconds(30), $"{gone.Id} reports itself removed");
                var (status, _, _) = await KvClient.GetAsync(cluster.Nodes.Http, gone.PublicUrl, Counter);
                Assert.Equal(HttpStatusCode.Gone, status);
            }

            await load.StopAsync(clients);
            foreach (var gone in leaving)
                await gone.StopAsync();

            // Every increment acknowledged is there, each value was written by exactly one CAS, and every voter holds the same state.
            var final = await ReadCounterEverywhereAsync(cluster);
            Assert.True(load.Acknowledged > 40, $"only {load.Acknowledged} increments were acknowledged");
            Assert.Equal(load.Acknowledged, load.AcknowledgedValues.Distinct().Count());
            Assert.InRange(final, load.Acknowledged, load.Acknowledged + load.Unknown);
            Assert.True(load.AcknowledgedValues.Max() <= final, $"an acknowledged value {load.AcknowledgedValues.Max()} is above the final {final}");
        });
    }

    /// <summary>Runs a change and SIGKILLs the leader once the leader has logged that the change started; restarts it when a new leader is in.</summary>
    private static async Task<T> ChangeWithLeaderKillAsync<T>(TestCluster cluster, string change, Func<Task<T>> run)
    {
        var leader = await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30), cluster.Voters.Where(n => n.IsRunning).ToList());
        var marker = $"[{leader.Id}] ";
        var started = cluster.Output.Length;
        var task = run();
        await Conditions.WaitUntilAsync(() => Task.FromResult(cluster.Output[started..].Split('\n').Any(l => l.StartsWith(marker, StringComparison.Ordinal) && l.Contains("Membership change started: " + change.Split(' ')[0], StringComparison.Ordinal)) || task.IsCompleted), TimeSpan.FromSeconds(60), $"{leader.Id} starts '{change}'");
        await leader.KillAsync();
        await OthersAgreeOnALeaderAsync(cluster, change.Split(' ')[1]);
        leader.Start();
        return await task;
    }

    /// <summary>
    /// Waits until the running voters other than <paramref name="subject"/> name one running leader. The subject is
    /// not asked (it may still be catching up, or already removed) but may be the one they name: a node being added
    /// votes from the moment its addition commits, a node being removed until its removal does, and either can win.
    /// </summary>
    private static async Task OthersAgreeOnALeaderAsync(TestCluster cluster, string subject)
    {
        var asked = cluster.Voters.Where(n => n.IsRunning && n.Id != subject).ToList();
        await Conditions.WaitUntilAsync(async () =>
        {
            var named = await Task.WhenAll(asked.Select(cluster.Nodes.LeaderSeenByAsync));
            return named.Distinct().Count() == 1 && named[0] is { } id && cluster.Nodes.Nodes.Any(n => n.Id == id && n.IsRunning);
        }, TimeSpan.FromSeconds(30), $"the voters other than {subject} agree on a running leader");
    }

    private static async Task ChangeWithLeaderKillAsync(TestCluster cluster, string change, Func<Task> run) =>
        await ChangeWithLeaderKillAsync(cluster, change, async () => { await run(); return true; });

    private static async Task ExpectVotersAsync(TestCluster cluster, IReadOnlyList<string> expected)
    {
        foreach (var node in cluster.Voters)
            await Conditions.WaitUntilAsync(async () => (await MembershipClient.ClusterSeenByAsync(cluster.Nodes.Http, node))?.Members.SequenceEqual(expected) == true, TimeSpan.FromSeconds(60), $"{node.Id} lists {string.Join(",", expected)}");
    }

    private static async Task<long> ReadCounterEverywhereAsync(TestCluster cluster)
    {
        var voters = cluster.Voters.ToList();
        var leader = await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30), voters);
        var (status, value, _) = await KvClient.GetAsync(cluster.Nodes.Http, leader.PublicUrl, Counter);
        Assert.Equal(HttpStatusCode.OK, status);
        var final = long.Parse(value!);
        foreach (var node in voters)
            await Conditions.WaitUntilAsync(async () => (await KvClient.GetAsync(cluster.Nodes.Http, node.PublicUrl, Counter, "local")).Value == value, TimeSpan.FromSeconds(30), $"{node.Id} holds counter {value}");
        return final;
    }

    /// <summary>Clients incrementing one counter by compare-and-set, each retrying on conflicts, redirects and failures.</summary>
    private sealed class CasLoad(TestCluster cluster)
    {
        private readonly CancellationTokenSource stop = new();
        private readonly ConcurrentBag<long> acknowledged = new();
        private int unknown;

        public int Acknowledged => acknowledged.Count;

        public IReadOnlyCollection<long> AcknowledgedValues => acknowledged.ToArray();

        /// <summary>Increments whose answer was lost (504, a broken connection after sending): each may or may not have happened.</summary>
        public int Unknown => Volatile.Read(ref unknown);

        public async Task RunAsync()
        {
            using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
            var random = new Random();
            while (!stop.IsCancellationRequested)
            {
                var nodes = cluster.Voters.Where(n => n.IsRunning).ToList();
                var node = nodes[random.Next(nodes.Count)].PublicUrl;
                try
                {
                    using var read = await http.GetAsync(new Uri(node, $"/v1/kv/{Counter}"));
                    if (read.StatusCode != HttpStatusCode.OK)
                        continue;
                    var doc = await read.Content.ReadFromJsonAsync<JsonElement>();
                    var next = long.Parse(doc.GetProperty("value").GetRawText()) + 1;
                    var revision = doc.GetProperty("revision").GetInt64();
                    var target = new Uri(node, $"/v1/kv/{Counter}");
                    for (var hop = 0; hop < 3; hop++)
                    {
                        using var put = new HttpRequestMessage(HttpMethod.Put, target) { Content = new StringContent($"{{\"value\":{next}}}", Encoding.UTF8, "application/json") };
                        put.Headers.TryAddWithoutValidation("If-Match", $"\"{revision}\"");
                        HttpResponseMessage answer;
                        try
                        {
                            answer = await http.SendAsync(put);
                        }
                        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                        {
                            Interlocked.Increment(ref unknown); // sent, maybe applied
                            break;
                        }

                        using (answer)
                        {
                            if (answer.StatusCode == HttpStatusCode.TemporaryRedirect && answer.Headers.Location is { } location)
                            {
                                target = location;
                                continue;
                            }

                            if (answer.StatusCode == HttpStatusCode.OK)
                                acknowledged.Add(next);
                            else if (answer.StatusCode == HttpStatusCode.GatewayTimeout)
                                Interlocked.Increment(ref unknown);
                            break;
                        }
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
                {
                    // the read failed: nothing was written
                }
            }
        }

        public async Task WaitForAcknowledgedAsync(int count) =>
            await Conditions.WaitUntilAsync(() => Task.FromResult(Acknowledged >= count), TimeSpan.FromSeconds(60), $"{count} increments are acknowledged");

        public async Task StopAsync(IEnumerable<Task> clients)
        {
            await stop.CancelAsync();
            await Task.WhenAll(clients);
        }
    }
}
