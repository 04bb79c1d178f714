using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using GeoLedger.Tests.MultiNode;
using Xunit.Abstractions;

namespace GeoLedger.Tests.Hostile;

/// <summary>
/// A node without tokens (local use) under DNS rebinding: requests whose Host is anything but loopback or a member's
/// public host, as a web page re-pointed at 127.0.0.1 would send them, get a 4xx and change nothing, however they are
/// spelled; the same requests addressed to loopback are served. The seed is printed; GEOLEDGER_HOSTILE_SEED replays it.
/// </summary>
[Collection(MultiNodeCollection.Name)]
public sealed class DnsRebindingTests(ITestOutputHelper output)
{
    private const int Requests = 600;
    private const int Senders = 6;

    private static readonly string[] ForeignHosts =
    [
        "evil.example", "attacker.test:{port}", "127.0.0.1.nip.io", "localhost.evil.example", "evil.example.", "10.0.0.1", "192.168.1.10:{port}",
        "[fe80::1]", "0.0.0.0", "[::]", "169.254.169.254", "EVIL.EXAMPLE:{port}", "xn--nxasmq6b.example",
    ];

    private static readonly string[] LoopbackHosts = ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST", "127.0.0.9", "[::1]:{port}", "localhost"];

    [Fact]
    public async Task Foreign_host_names_on_a_node_without_tokens_get_4xx_and_change_nothing()
    {
        var seed = Environment.GetEnvironmentVariable("GEOLEDGER_HOSTILE_SEED") is { Length: > 0 } fixedSeed ? int.Parse(fixedSeed, CultureInfo.InvariantCulture) : Random.Shared.Next();
        output.WriteLine($"seed {seed} (replay with GEOLEDGER_HOSTILE_SEED={seed})");
        var (cluster, node) = await HostileCluster.StartAsync(1, new Dictionary<string, string>());
        await using (cluster)
        {
            await cluster.RunAsync(async () =>
            {
                var http = cluster.Nodes.Http;
                using (var seeded = await KvClient.PutAsync(http, node.PublicUrl, "rebind/seeded", "\"before\""))
                    Assert.Equal(HttpStatusCode.OK, seeded.StatusCode);
                var before = await StateAsync(http, node.PublicUrl);

                var failures = new ConcurrentQueue<string>();
                var answers = new ConcurrentDictionary<string, int>();
                await Task.WhenAll(Enumerable.Range(0, Senders).Select(s => Task.Run(async () =>
                {
                    var random = new Random(HashCode.Combine(seed, s));
                    for (var i = 0; i < Requests / Senders; i++)
                    {
                        var foreign = random.Next(4) != 0;
                        var host = (foreign ? ForeignHosts : LoopbackHosts)[random.Next(foreign ? ForeignHosts.Length : LoopbackHosts.Length)].Replace("{port}", node.PublicUrl.Port.ToString(CultureInfo.InvariantCulture));
                        using var request = Request(random, node.PublicUrl, foreign);
                        request.Headers.Host = host;
                        using var response = await http.SendAsync(request);
                        var status = (int)response.StatusCode;
                        answers.AddOrUpdate($"{(foreign ? "foreign" : "loopback")} {status}", 1, (_, n) => n + 1);
                        if (foreign && status is < 400 or >= 500)
                            failures.Enqueue($"{request.Method} {request.RequestUri!.PathAndQuery} with Host {host} answered {status}");
                        if (!foreign && status >= 400)
                            failures.Enqueue($"{request.Method} {request.RequestUri!.PathAndQuery} with Host {host} (loopback) answered {status}");
                    }
                })));
                output.WriteLine("answers: " + string.Join(", ", answers.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Key}={a.Value}")));

                Assert.True(failures.IsEmpty, $"seed {seed}: {failures.Count} requests broke the rule:\n{string.Join('\n', failures.Take(20))}");
                Assert.Equal(before, await StateAsync(http, node.PublicUrl));
            });
        }
    }

    /// <summary>A read, or (from a foreign host) a write; loopback requests only read, so the state stays as seeded.</summary>
    private static HttpRequestMessage Request(Random random, Uri node, bool foreign)
    {
        var kind = random.Next(foreign ? 7 : 4);
        return kind switch
        {
            0 => new HttpRequestMessage(HttpMethod.Get, new Uri(node, "/v1/kv/rebind/seeded")),
            1 => new HttpRequestMessage(HttpMethod.Get, new Uri(node, "/v1/kv?prefix=rebind/")),
            2 => new HttpRequestMessage(HttpMethod.Get, new Uri(node, "/v1/cluster")),
            3 => new HttpRequestMessage(HttpMethod.Get, new Uri(node, "/7")),
            4 => new HttpRequestMessage(HttpMethod.Put, new Uri(node, "/v1/kv/rebind/" + random.Next(3))) { Content = new StringContent("{\"value\":\"rebound\"}", Encoding.UTF8, "application/json") },
            5 => new HttpRequestMessage(HttpMethod.Delete, new Uri(node, "/v1/kv/rebind/seeded")),
            _ => new HttpRequestMessage(HttpMethod.Put, new Uri(node, "/7")) { Content = new StringContent("{\"state\":\"rebound\"}", Encoding.UTF8, "application/json") },
        };
    }

    /// <summary>The listing and the commit index, read through loopback.</summary>
    private static async Task<string> StateAsync(HttpClient http, Uri node)
    {
        var listing = await http.GetStringAsync(new Uri(node, "/v1/kv?limit=1000"));
        using var cluster = JsonDocument.Parse(await http.GetStringAsync(new Uri(node, "/v1/cluster")));
        return $"{listing} at commit index {cluster.RootElement.GetProperty("commitIndex").GetInt64()}";
    }
}
