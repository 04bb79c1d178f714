using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using GeoLedger.Tests.MultiNode;
using Xunit.Abstractions;

namespace GeoLedger.Tests.Hostile;

/// <summary>
/// Randomized hostile input against one real node with read and write tokens: no 5xx, no crash, nothing
/// changed by a refused request, bounded memory. The seed is printed; set GEOLEDGER_HOSTILE_SEED to replay it.
/// </summary>
[Collection(MultiNodeCollection.Name)]
public sealed class HostileInputTests(ITestOutputHelper output)
{
    private const string WriteToken = "hostile-write-token-4f1c9a";
    private const string ReadToken = "hostile-read-token-77be02";
    private const int MaxValueBytes = 65536;
    private const int Senders = 8;
    private const int RequestsPerSender = 1250;
    private const int SlowSenders = 2;
    private const int SlowRequestsPerSender = 8;
    private const long RssAllowanceBytes = 200L * 1024 * 1024;
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Ten_thousand_hostile_requests_get_no_5xx_change_nothing_and_leave_the_node_running_within_200_MB()
    {
        var seed = Environment.GetEnvironmentVariable("GEOLEDGER_HOSTILE_SEED") is { Length: > 0 } fixedSeed
            ? int.Parse(fixedSeed, CultureInfo.InvariantCulture)
            : Random.Shared.Next();
        var replay = $"seed {seed} (replay with GEOLEDGER_HOSTILE_SEED={seed})";
        output.WriteLine(replay);

        await using var cluster = await TestCluster.StartAsync(1, new Dictionary<string, string>
        {
            ["Ledger:ApiTokens:0:Token"] = WriteToken,
            ["Ledger:ApiTokens:0:Access"] = "write",
            ["Ledger:ApiTokens:1:Token"] = ReadToken,
            ["Ledger:ApiTokens:1:Access"] = "read",
            ["Ledger:RequireReadAuth"] = "true",
            ["Ledger:MaxValueBytes"] = MaxValueBytes.ToString(CultureInfo.InvariantCulture),
        }, bearerToken: ReadToken);
        try
        {
            await cluster.WithOutputOnFailureAsync(() => RunAsync(cluster, seed, replay));
        }
        catch (Exception e) when (!e.Message.Contains(replay, StringComparison.Ordinal))
        {
            throw new Xunit.Sdk.XunitException($"{replay}: {e.Message}");
        }
    }

    private async Task RunAsync(TestCluster cluster, int seed, string replay)
    {
        var node = cluster.Nodes.Nodes[0];
        var http = cluster.Nodes.Http;
        await node.WaitReadyAsync(http, TimeSpan.FromSeconds(60));

        var known = await SeedKnownKeysAsync(http, node.PublicUrl, new Random(seed));
        var before = await SnapshotAsync(http, node.PublicUrl);
        Assert.Equal(known.Count, before.Items.Count);
        var startRss = ReadRssBytes(node.Pid ?? throw new InvalidOperationException("the node is not running"));
        output.WriteLine($"{known.Count} known keys written; commit index {before.CommitIndex}; node RSS at start {startRss / 1024 / 1024} MB");

        using var hostileHttp = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            MaxConnectionsPerServer = 2 * Senders,
            AutomaticDecompression = DecompressionMethods.None,
        })
        { Timeout = Timeout.InfiniteTimeSpan };
        var sender = new HostileSender(node.PublicUrl, hostileHttp, AnswerTimeout);
        var histogram = new ConcurrentDictionary<string, int>();
        var byClass = new ConcurrentDictionary<string, int>();
        var byClassAndAnswer = new ConcurrentDictionary<(string Class, string Answer), int>();
        var failures = new ConcurrentQueue<string>();
        var sent = 0;

        async Task SendAndCheckAsync(HostileRequest request, string where)
        {
            var outcome = await sender.SendAsync(request);
            Interlocked.Increment(ref sent);
            byClass.AddOrUpdate(request.Class, 1, (_, n) => n + 1);
            foreach (var label in outcome.Labels)
            {
                histogram.AddOrUpdate(label, 1, (_, n) => n + 1);
                byClassAndAnswer.AddOrUpdate((request.Class, label), 1, (_, n) => n + 1);
            }
            foreach (var status in outcome.Statuses)
            {
                if (status >= 500 && !(status == 505 && request.MayAnswerVersionNotSupported))
                    failures.Enqueue($"{where} [{request.Class}] answered {status}: {request.Description}");
                else if (request.IsWrite && status is >= 200 and < 400)
                    failures.Enqueue($"{where} [{request.Class}] was a write that must be refused but answered {status}: {request.Description}");
            }

            if (outcome.Connection == "timeout")
                failures.Enqueue($"{where} [{request.Class}] got no answer within {AnswerTimeout.TotalSeconds:0} s: {request.Description}");
        }

        // Each sender has its own seeded stream and a fixed count, so a seed replays the same requests.
        var fast = Enumerable.Range(0, Senders).Select(s => Task.Run(async () =>
        {
            var generator = new HostileRequestGenerator(new Random(HashCode.Combine(seed, s)), WriteToken, ReadToken, MaxValueBytes);
            for (var i = 0; i < RequestsPerSender; i++)
                await SendAndCheckAsync(generator.Next(), $"sender {s} request {i}");
        }));
        // A few slow clients at the same time: a byte every 100 ms for 3 s, well inside Kestrel's grace period.
        var slow = Enumerable.Range(0, SlowSenders).Select(s => Task.Run(async () =>
        {
            var generator = new HostileRequestGenerator(new Random(HashCode.Combine(seed, "slow", s)), WriteToken, ReadToken, MaxValueBytes);
            for (var i = 0; i < SlowRequestsPerSender; i++)
                await SendAndCheckAsync(generator.NextSlow(TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(100)), $"slow sender {s} request {i}");
        }));
        await Task.WhenAll(fast.Concat(slow));

        output.WriteLine($"{sent} hostile requests sent");
        output.WriteLine("answers: " + string.Join(", ", histogram.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}")));
        foreach (var group in byClassAndAnswer.GroupBy(p => p.Key.Class).OrderBy(g => g.Key, StringComparer.Ordinal))
            output.WriteLine($"  {group.Key} ({byClass[group.Key]}): " + string.Join(", ", group.OrderBy(p => p.Key.Answer, StringComparer.Ordinal).Select(p => $"{p.Key.Answer}={p.Value}")));

        Assert.True(failures.IsEmpty, $"{replay}: {failures.Count} of {sent} hostile requests broke an invariant; the first ones:\n{string.Join("\n", failures.Take(25))}");
        Assert.True(sent >= 10_000, $"only {sent} hostile requests were sent");

        Assert.True(node.IsRunning, $"{replay}: the node exited (code {node.ExitCode}) during the hostile run");
        using (var ready = await http.GetAsync(new Uri(node.PublicUrl, "/readyz")))
            Assert.True(ready.StatusCode == HttpStatusCode.OK, $"{replay}: /readyz answered {(int)ready.StatusCode} after the hostile run");

        var after = await SnapshotAsync(http, node.PublicUrl);
        Assert.True(before.CommitIndex == after.CommitIndex, $"{replay}: the commit index moved from {before.CommitIndex} to {after.CommitIndex}: a refused request reached the log");
        Assert.True(before.Items.SequenceEqual(after.Items), $"{replay}: the listing changed: {Difference(before.Items, after.Items)}");

        var endRss = ReadRssBytes(node.Pid ?? throw new InvalidOperationException($"{replay}: the node is not running"));
        output.WriteLine($"node RSS after {sent} hostile requests: {endRss / 1024 / 1024} MB (start {startRss / 1024 / 1024} MB, limit {(startRss + RssAllowanceBytes) / 1024 / 1024} MB)");
        Assert.True(endRss <= startRss + RssAllowanceBytes, $"{replay}: node RSS grew from {startRss / 1024 / 1024} MB to {endRss / 1024 / 1024} MB, more than 200 MB");
    }

    /// <summary>Writes keys made of every class of character a key may hold, and a few through the article's API.</summary>
    private static async Task<Dictionary<string, string>> SeedKnownKeysAsync(HttpClient http, Uri node, Random random)
    {
        var keys = new List<string>
        {
            "plain", "with space", "slash/inside/key", "trailing/", "/leading", "a//double", "percent%25literal", "plus+sign", "question?mark", "hash#tag",
            "amp&eq=", "unicodé", "中文键", "emoji😀", "rtl עברית", "zwj\u200Djoiner", "bom\uFEFFinside", "combining x\u0301", "quote\"and'apos",
            "back\\slash", "tilde~", "colon:semi;", "brackets[]{}<>", "dots.in.key", "...", "line\u2028separator", "nbsp\u00A0", "astral\U0010FFFD",
            new string('k', 1024), new string('é', 512), "123",
        };
        var values = new List<string>
        {
            "1", "-0.5e-3", "true", "false", "null", "\"text\"", "\"é中😀\\u0000\\n\"", "[1,[2,[3]]]", "{\"a\":{\"b\":[true,null]}}", "\"\"", "{}", "[]",
            JsonSerializer.Serialize(new string('v', MaxValueBytes - 2)), // exactly the limit
            string.Concat(Enumerable.Repeat("[", 62)) + string.Concat(Enumerable.Repeat("]", 62)), // within the depth limit
        };
        var written = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < keys.Count; i++)
        {
            var value = values[random.Next(values.Count)];
            using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(node, "/v1/kv/" + Uri.EscapeDataString(keys[i])))
            {
                Content = new StringContent($"{{\"value\":{value}}}", Encoding.UTF8, "application/json"),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", WriteToken);
            using var response = await http.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"seeding key '{keys[i]}' answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            written[keys[i]] = value;
        }

        foreach (var id in new[] { 7, 42 })
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(node, $"/{id}")) { Content = new StringContent("{\"state\":\"article\"}", Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", WriteToken);
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            written[id.ToString(CultureInfo.InvariantCulture)] = "\"article\"";
        }

        return written;
    }

    /// <summary>Every entry (as its JSON text) through linearizable, paged listing, and the commit index.</summary>
    private static async Task<(IReadOnlyList<string> Items, long CommitIndex)> SnapshotAsync(HttpClient http, Uri node)
    {
        var items = new List<string>();
        string? after = null;
        do
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(node, "/v1/kv?limit=1000" + (after is null ? "" : "&after=" + Uri.EscapeDataString(after))));
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ReadToken);
            using var response = await http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var page = JsonDocument.Parse(await response.Content.ReadAsStringAsync(), new JsonDocumentOptions { MaxDepth = 256 });
            items.AddRange(page.RootElement.GetProperty("items").EnumerateArray().Select(e => e.GetRawText()));
            after = page.RootElement.GetProperty("next").GetString();
        }
        while (after is not null);

        using var clusterRequest = new HttpRequestMessage(HttpMethod.Get, new Uri(node, "/v1/cluster"));
        clusterRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ReadToken);
        using var clusterResponse = await http.SendAsync(clusterRequest);
        using var view = JsonDocument.Parse(await clusterResponse.Content.ReadAsStringAsync());
        return (items, view.RootElement.GetProperty("commitIndex").GetInt64());
    }

    private static string Difference(IReadOnlyList<string> before, IReadOnlyList<string> after)
    {
        var gone = before.Except(after).Take(5).ToList();
        var added = after.Except(before).Take(5).ToList();
        return $"{before.Count} entries before, {after.Count} after; gone: [{string.Join(", ", gone)}]; new: [{string.Join(", ", added)}]";
    }

    /// <summary>VmRSS of a process, in bytes, from <c>/proc/&lt;pid&gt;/status</c>.</summary>
    private static long ReadRssBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        var kilobytes = long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        return kilobytes * 1024;
    }
}
