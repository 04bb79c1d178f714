using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using GeoLedger.Tests.Api;
using GeoLedger.Tests.MultiNode;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace GeoLedger.Tests.Operate;

/// <summary>A node without tokens whose every write outlives its timeout (apply delayed 500 ms, writes wait 100 ms): each answers 504.</summary>
public sealed class SlowApplyNodeFixture() : NodeFixture(new()
{
    ["Ledger:TestApplyDelayMs"] = "500",
    ["Ledger:WriteTimeoutMs"] = "100",
});

/// <summary>A node without tokens whose disk never has the free space it asks for: each write answers 507.</summary>
public sealed class FullDiskNodeFixture() : NodeFixture(new()
{
    ["Ledger:MinFreeDiskBytes"] = long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
});

/// <summary>A node without tokens that keeps one change for watchers: a watch from revision 1 after two writes answers 410.</summary>
public sealed class SmallHistoryNodeFixture() : NodeFixture(new() { ["Ledger:WatchHistoryChanges"] = "1" });

/// <summary>
/// The OpenAPI document can't drift: every answer it documents (operation and status) is provoked against a running
/// node (in process for most; a real 3-node cluster for the redirect to the leader and for no-leader answers) and
/// checked for its status, media type, body schema and headers; and every route the node serves is documented.
/// </summary>
[Collection(MultiNodeCollection.Name)]
public sealed class OpenApiDriftTests(ReadAuthNodeFixture node, SlowApplyNodeFixture slow, FullDiskNodeFixture full, SmallHistoryNodeFixture small)
    : IClassFixture<ReadAuthNodeFixture>, IClassFixture<SlowApplyNodeFixture>, IClassFixture<FullDiskNodeFixture>, IClassFixture<SmallHistoryNodeFixture>
{
    /// <summary>Where a scenario runs: the in-process node with tokens (reads need one), the slow node, the full-disk node, or the cluster.</summary>
    private enum Where
    {
        Node,
        SlowNode,
        FullDiskNode,
        SmallHistoryNode,
        Follower,
        Leader,
        LoneNode,
    }

    private sealed record Scenario(string Name, Where Where, Func<HttpClient, Task<HttpResponseMessage>> Send);

    private const string Huge = "\"" + "x" + "\"";

    private static HttpRequestMessage Request(HttpMethod method, string path, string? token, string? json = null, string mediaType = "application/json")
    {
        var request = new HttpRequestMessage(method, path);
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (json is not null)
            request.Content = new StringContent(json, Encoding.UTF8, mediaType);
        return request;
    }

    private static Func<HttpClient, Task<HttpResponseMessage>> Send(HttpMethod method, string path, string? token, string? json = null, string mediaType = "application/json", (string Name, string Value)? header = null) =>
        client =>
        {
            var request = Request(method, path, token, json, mediaType);
            if (header is { } h)
                request.Headers.TryAddWithoutValidation(h.Name, h.Value);
            return client.SendAsync(request);
        };

    private const string NewMember = """{"id":"node-9","region":"local","raft":"http://127.0.0.1:1/","public":"http://127.0.0.1:2/"}""";

    /// <summary>Posts the answering node's own description, changed by <paramref name="change"/> (itself: already a member, 200).</summary>
    private static async Task<HttpResponseMessage> AddMemberAsync(HttpClient client, Func<GeoLedger.Cluster.ClusterMember, GeoLedger.Cluster.ClusterMember> change)
    {
        using var view = await client.SendAsync(Request(HttpMethod.Get, "/v1/cluster", "a"));
        var node = JsonDocument.Parse(await view.Content.ReadAsStringAsync()).RootElement.GetProperty("node");
        var self = change(new GeoLedger.Cluster.ClusterMember(node.GetProperty("id").GetString()!, node.GetProperty("region").GetString()!, new Uri(node.GetProperty("raft").GetString()!), new Uri(node.GetProperty("public").GetString()!)));
        var body = JsonSerializer.Serialize(new { id = self.Id, region = self.Region, raft = self.Raft.AbsoluteUri, @public = self.Public.AbsoluteUri });
        return await client.SendAsync(Request(HttpMethod.Post, "/v1/cluster/members", "a", body));
    }

    private static readonly string TooLarge = $$"""{"value":"{{new string('x', 1024 * 1024 + 10)}}"}""";

    /// <summary>A transaction with every kind of operation and result (drift/a is seeded, drift/absent never written).</summary>
    private const string Txn = """
        {"compare":[{"key":"drift/a","target":"exists","result":"equal","value":true}],
         "success":[{"put":{"key":"drift/t","value":{"n":1}}},{"delete":{"key":"drift/absent"}},{"get":{"key":"drift/a"}},{"get":{"key":"drift/absent"}}],
         "failure":[]}
        """;

    private static readonly string TooLargeTxn = $$$"""{"success":[{"put":{"key":"drift/t","value":"{{{new string('x', 1024 * 1024 + 10)}}}"} }]}""";

    /// <summary>One request per documented answer; the names must match the document's exactly.</summary>
    private static IReadOnlyList<Scenario> Scenarios() =>
    [
        new("GET /v1/kv 200", Where.Node, Send(HttpMethod.Get, "/v1/kv?prefix=drift/", "r")),
        new("GET /v1/kv 400", Where.Node, Send(HttpMethod.Get, "/v1/kv?limit=0", "r")),
        new("GET /v1/kv 401", Where.Node, Send(HttpMethod.Get, "/v1/kv", null)),
        new("GET /v1/kv 503", Where.LoneNode, Send(HttpMethod.Get, "/v1/kv", "r")),
        new("GET /v1/kv/{key} 200", Where.Node, Send(HttpMethod.Get, "/v1/kv/drift/a", "r")),
        new("GET /v1/kv/{key} 304", Where.Node, async client =>
        {
            using var first = await client.SendAsync(Request(HttpMethod.Get, "/v1/kv/drift/a", "r"));
            var again = Request(HttpMethod.Get, "/v1/kv/drift/a", "r");
            again.Headers.IfNoneMatch.Add(first.Headers.ETag!);
            return await client.SendAsync(again);
        }),
        new("GET /v1/kv/{key} 400", Where.Node, Send(HttpMethod.Get, "/v1/kv/drift/a?consistency=eventual", "r")),
        new("GET /v1/kv/{key} 401", Where.Node, Send(HttpMethod.Get, "/v1/kv/drift/a", "unknown")),
        new("GET /v1/kv/{key} 404", Where.Node, Send(HttpMethod.Get, "/v1/kv/drift/absent", "r")),
        new("GET /v1/kv/{key} 503", Where.LoneNode, Send(HttpMethod.Get, "/v1/kv/drift/a", "r")),
        new("PUT /v1/kv/{key} 200", Where.Node, Send(HttpMethod.Put, "/v1/kv/drift/put", "w", """{"value":{"n":1}}""")),
        new("PUT /v1/kv/{key} 307", Where.Follower, Send(HttpMethod.Put, "/v1/kv/drift/put", "w", """{"value":1}""")),
        new("PUT /v1/kv/{key} 400", Where.Node, Send(HttpMethod.Put, "/v1/kv/drift/put", "w", """{"value":""")),
        new("PUT /v1/kv/{key} 401", Where.Node, Send(HttpMethod.Put, "/v1/kv/drift/put", null, """{"value":1}""")),
        new("PUT /v1/kv/{key} 403", Where.Node, Send(HttpMethod.Put, "/v1/kv/drift/put", "r", """{"value":1}""")),
        new("PUT /v1/kv/{key} 412", Where.Node, Send(HttpMethod.Put, "/v1/kv/drift/a", "w", """{"value":1}""", header: ("If-Match", "\"999999\""))),
        new("PUT /v1/kv/{key} 413", Where.Node, Send(HttpMethod.Put, "/v1/kv/drift/put", "w", TooLarge)),
        new("PUT /v1/kv/{key} 415", Where.Node, Send(HttpMethod.Put, "/v1/kv/drift/put", "w", """{"value":1}""", "text/plain")),
        new("PUT /v1/kv/{key} 503", Where.LoneNode, Send(HttpMethod.Put, "/v1/kv/drift/put", "w", """{"value":1}""")),
        new("PUT /v1/kv/{key} 504", Where.SlowNode, Send(HttpMethod.Put, "/v1/kv/drift/slow", null, """{"value":1}""")),
        new("PUT /v1/kv/{key} 507", Where.FullDiskNode, Send(HttpMethod.Put, "/v1/kv/drift/full", null, """{"value":1}""")),
        new("DELETE /v1/kv/{key} 204", Where.Node, async client =>
        {
            using var put = await client.SendAsync(Request(HttpMethod.Put, "/v1/kv/drift/deleted", "w", """{"value":1}"""));
            return await client.SendAsync(Request(HttpMethod.Delete, "/v1/kv/drift/deleted", "w"));
        }),
        new("DELETE /v1/kv/{key} 307", Where.Follower, Send(HttpMethod.Delete, "/v1/kv/drift/put", "w")),
        new("DELETE /v1/kv/{key} 400", Where.Node, Send(HttpMethod.Delete, "/v1/kv/drift/a", "w", header: ("If-Match", "not-an-etag"))),
        new("DELETE /v1/kv/{key} 401", Where.Node, Send(HttpMethod.Delete, "/v1/kv/drift/a", null)),
        new("DELETE /v1/kv/{key} 403", Where.Node, Send(HttpMethod.Delete, "/v1/kv/drift/a", "r")),
        new("DELETE /v1/kv/{key} 404", Where.Node, Send(HttpMethod.Delete, "/v1/kv/drift/absent", "w")),
        new("DELETE /v1/kv/{key} 412", Where.Node, Send(HttpMethod.Delete, "/v1/kv/drift/a", "w", header: ("If-Match", "\"999999\""))),
        new("DELETE /v1/kv/{key} 503", Where.LoneNode, Send(HttpMethod.Delete, "/v1/kv/drift/a", "w")),
        new("DELETE /v1/kv/{key} 504", Where.SlowNode, Send(HttpMethod.Delete, "/v1/kv/drift/slow", null)),
        new("DELETE /v1/kv/{key} 507", Where.FullDiskNode, Send(HttpMethod.Delete, "/v1/kv/drift/full", null)),
        new("POST /v1/txn 200", Where.Node, Send(HttpMethod.Post, "/v1/txn", "w", Txn)),
        new("POST /v1/txn 307", Where.Follower, Send(HttpMethod.Post, "/v1/txn", "w", Txn)),
        new("POST /v1/txn 400", Where.Node, Send(HttpMethod.Post, "/v1/txn", "w", """{"success":[{"put":{"key":"drift/t"}}]}""")),
        new("POST /v1/txn 401", Where.Node, Send(HttpMethod.Post, "/v1/txn", null, Txn)),
        new("POST /v1/txn 403", Where.Node, Send(HttpMethod.Post, "/v1/txn", "r", Txn)),
        new("POST /v1/txn 413", Where.Node, Send(HttpMethod.Post, "/v1/txn", "w", TooLargeTxn)),
        new("POST /v1/txn 415", Where.Node, Send(HttpMethod.Post, "/v1/txn", "w", Txn, "text/plain")),
        new("POST /v1/txn 503", Where.LoneNode, Send(HttpMethod.Post, "/v1/txn", "w", Txn)),
        new("POST /v1/txn 504", Where.SlowNode, Send(HttpMethod.Post, "/v1/txn", null, Txn)),
        new("POST /v1/txn 507", Where.FullDiskNode, Send(HttpMethod.Post, "/v1/txn", null, Txn)),
        new("GET /v1/backup 200", Where.Node, Send(HttpMethod.Get, "/v1/backup", "w")),
        new("GET /v1/backup 400", Where.Node, Send(HttpMethod.Get, "/v1/backup?consistency=eventual", "w")),
        new("GET /v1/backup 401", Where.Node, Send(HttpMethod.Get, "/v1/backup", null)),
        new("GET /v1/backup 403", Where.Node, Send(HttpMethod.Get, "/v1/backup", "r")),
        new("GET /v1/backup 503", Where.LoneNode, Send(HttpMethod.Get, "/v1/backup", "w")),
        new("GET /v1/watch 200", Where.Node, client => client.SendAsync(Request(HttpMethod.Get, "/v1/watch?prefix=drift/", "r"), HttpCompletionOption.ResponseHeadersRead)),
        new("GET /v1/watch 400", Where.Node, Send(HttpMethod.Get, "/v1/watch?fromRevision=0", "r")),
        new("GET /v1/watch 401", Where.Node, Send(HttpMethod.Get, "/v1/watch", null)),
        new("GET /v1/watch 410", Where.SmallHistoryNode, async client =>
        {
            foreach (var value in new[] { "1", "2" })
                (await client.SendAsync(Request(HttpMethod.Put, "/v1/kv/drift/history", null, $$"""{"value":{{value}}}"""))).EnsureSuccessStatusCode();
            return await client.SendAsync(Request(HttpMethod.Get, "/v1/watch?fromRevision=1", null));
        }),
        new("GET /v1/watch 503", Where.LoneNode, Send(HttpMethod.Get, "/v1/watch", "r")),
        new("GET /v1/cluster 200", Where.Node, Send(HttpMethod.Get, "/v1/cluster", "r")),
        new("GET /v1/cluster 401", Where.Node, Send(HttpMethod.Get, "/v1/cluster", null)),
        new("POST /v1/cluster/members 200", Where.Node, client => AddMemberAsync(client, self => self)),
        new("POST /v1/cluster/members 307", Where.Follower, Send(HttpMethod.Post, "/v1/cluster/members", "a", NewMember)),
        new("POST /v1/cluster/members 400", Where.Node, Send(HttpMethod.Post, "/v1/cluster/members", "a", """{"id":"x"}""")),
        new("POST /v1/cluster/members 401", Where.Node, Send(HttpMethod.Post, "/v1/cluster/members", null, NewMember)),
        new("POST /v1/cluster/members 403", Where.Node, Send(HttpMethod.Post, "/v1/cluster/members", "w", NewMember)),
        new("POST /v1/cluster/members 409", Where.Node, client => AddMemberAsync(client, self => self with { Id = "someone-else" })),
        new("POST /v1/cluster/members 503", Where.LoneNode, Send(HttpMethod.Post, "/v1/cluster/members", "a", NewMember)),
        new("DELETE /v1/cluster/members/{id} 200", Where.Leader, async client =>
        {
            // The last member that neither leads nor is the follower the no-leader answers are asked of.
            using var view = await client.SendAsync(Request(HttpMethod.Get, "/v1/cluster", "a"));
            var doc = JsonDocument.Parse(await view.Content.ReadAsStringAsync()).RootElement;
            var leaderId = doc.GetProperty("leader").GetProperty("id").GetString();
            var id = doc.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("id").GetString()).Last(m => m != leaderId);
            // A leader change under a loaded machine answers 503/504 or 307; the change is idempotent, so ask again.
            var target = new Uri(client.BaseAddress!, $"/v1/cluster/members/{id}");
            for (var attempt = 1; ; attempt++)
            {
                var response = await client.SendAsync(Request(HttpMethod.Delete, target.AbsoluteUri, "a"));
                if (attempt == 10 || response.StatusCode is not (HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout or HttpStatusCode.TemporaryRedirect))
                    return response;
                target = response.Headers.Location ?? target;
                response.Dispose();
                await Task.Delay(500);
            }
        }),
        new("DELETE /v1/cluster/members/{id} 307", Where.Follower, Send(HttpMethod.Delete, "/v1/cluster/members/node-9", "a")),
        new("DELETE /v1/cluster/members/{id} 401", Where.Node, Send(HttpMethod.Delete, "/v1/cluster/members/node-9", null)),
        new("DELETE /v1/cluster/members/{id} 403", Where.Node, Send(HttpMethod.Delete, "/v1/cluster/members/node-9", "w")),
        new("DELETE /v1/cluster/members/{id} 404", Where.Node, Send(HttpMethod.Delete, "/v1/cluster/members/node-9", "a")),
        new("DELETE /v1/cluster/members/{id} 409", Where.Node, Send(HttpMethod.Delete, "/v1/cluster/members/node-0", "a")),
        new("DELETE /v1/cluster/members/{id} 503", Where.LoneNode, Send(HttpMethod.Delete, "/v1/cluster/members/node-9", "a")),
        new("GET /{id} 200", Where.Node, Send(HttpMethod.Get, "/41", "r")),
        new("GET /{id} 400", Where.Node, Send(HttpMethod.Get, "/41?consistency=eventual", "r")),
        new("GET /{id} 401", Where.Node, Send(HttpMethod.Get, "/41", null)),
        new("GET /{id} 503", Where.LoneNode, Send(HttpMethod.Get, "/41", "r")),
        new("PUT /{id} 200", Where.Node, Send(HttpMethod.Put, "/41", "w", """{"state":"drift"}""")),
        new("PUT /{id} 307", Where.Follower, Send(HttpMethod.Put, "/41", "w", """{"state":"drift"}""")),
        new("PUT /{id} 400", Where.Node, Send(HttpMethod.Put, "/41", "w", """{"state":1}""")),
        new("PUT /{id} 401", Where.Node, Send(HttpMethod.Put, "/41", null, """{"state":"drift"}""")),
        new("PUT /{id} 403", Where.Node, Send(HttpMethod.Put, "/41", "r", """{"state":"drift"}""")),
        new("PUT /{id} 413", Where.Node, Send(HttpMethod.Put, "/41", "w", TooLarge.Replace("value", "state", StringComparison.Ordinal))),
        new("PUT /{id} 415", Where.Node, Send(HttpMethod.Put, "/41", "w", """{"state":"drift"}""", "text/plain")),
        new("PUT /{id} 503", Where.LoneNode, Send(HttpMethod.Put, "/41", "w", """{"state":"drift"}""")),
        new("PUT /{id} 504", Where.SlowNode, Send(HttpMethod.Put, "/41", null, """{"state":"drift"}""")),
        new("PUT /{id} 507", Where.FullDiskNode, Send(HttpMethod.Put, "/41", null, """{"state":"drift"}""")),
        new("GET /healthz 200", Where.Node, Send(HttpMethod.Get, "/healthz", null)),
        new("GET /readyz 200", Where.Node, Send(HttpMethod.Get, "/readyz", null)),
        new("GET /readyz 503", Where.LoneNode, Send(HttpMethod.Get, "/readyz", null)),
    ];

    private async Task<OpenApiContract> ContractAsync()
    {
        using var response = await node.Client.GetAsync("/openapi/v1.json"); // open: no token
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return new OpenApiContract(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    /// <summary>Checks one answer against its documentation; returns what is wrong.</summary>
    private static async Task<IReadOnlyList<string>> CheckAsync(OpenApiContract contract, IReadOnlyDictionary<string, DocumentedResponse> answers, string name, HttpResponseMessage response)
    {
        if (!answers.TryGetValue(name, out var documented))
            return [$"{name}: not documented"];
        var problems = new List<string>();
        // An event stream never ends: its headers are the answer (its events are checked by the watch tests).
        var text = response.Content.Headers.ContentType?.MediaType == "text/event-stream" ? "" : await response.Content.ReadAsStringAsync();
        if ((int)response.StatusCode != documented.Status)
            return [$"{documented.Name}: answered {(int)response.StatusCode}: {text}"];
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (documented.MediaType is null)
        {
            if (text.Length > 0)
                problems.Add($"{documented.Name}: documented without a body, answered {mediaType}: {text}");
        }
        else if (mediaType != documented.MediaType)
        {
            problems.Add($"{documented.Name}: documented as {documented.MediaType}, answered {mediaType}");
        }
        else if (!mediaType.EndsWith("json", StringComparison.Ordinal))
        {
            // A file (the backup): its media type is the whole contract; its bytes are checked by their own tests.
        }
        else
        {
            problems.AddRange(contract.Check(JsonDocument.Parse(text).RootElement, documented.Schema!.Value).Select(e => $"{documented.Name}: {e} in {text}"));
        }

        foreach (var header in documented.Headers)
        {
            if (!response.Headers.Contains(header) && !response.Content.Headers.Contains(header))
                problems.Add($"{documented.Name}: documented header {header} is missing");
        }

        return problems;
    }

    [Fact]
    public async Task Every_documented_answer_has_a_scenario_and_every_scenario_is_documented()
    {
        var documented = (await ContractAsync()).Responses().Select(r => r.Name).Order(StringComparer.Ordinal).ToList();
        var scenarios = Scenarios().Select(s => s.Name).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(documented, scenarios);
    }

    [Fact]
    public async Task The_reference_page_and_its_script_are_served_without_a_token()
    {
        using var page = await node.Client.GetAsync("/scalar/");
        using var script = await node.Client.GetAsync("/scalar/scalar.js");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("scalar.js", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Every_route_the_node_serves_is_documented()
    {
        var contract = await ContractAsync();
        var documented = contract.Responses().Select(r => $"{r.Method} {r.Path}").ToHashSet();
        var served = node.Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && !raw.StartsWith("/openapi", StringComparison.Ordinal) && !raw.StartsWith("/scalar", StringComparison.Ordinal) && raw != "/metrics")
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["ANY"]).Select(m => $"{m} {Normalize(e.RoutePattern.RawText!)}"))
            .ToHashSet();

        Assert.Empty(served.Except(documented));
    }

    [Fact]
    public async Task Every_documented_answer_matches_a_running_node_in_process()
    {
        var contract = await ContractAsync();
        using (var seed = await node.Client.SendAsync(Request(HttpMethod.Put, "/v1/kv/drift/a", "w", """{"value":"a"}""")))
            seed.EnsureSuccessStatusCode();
        var documented = contract.Responses().ToDictionary(r => r.Name);
        var problems = new List<string>();
        foreach (var scenario in Scenarios().Where(s => s.Where is Where.Node or Where.SlowNode or Where.FullDiskNode or Where.SmallHistoryNode))
        {
            using var response = await scenario.Send(scenario.Where switch { Where.Node => node.Client, Where.SlowNode => slow.Client, Where.SmallHistoryNode => small.Client, _ => full.Client });
            problems.AddRange(await CheckAsync(contract, documented, scenario.Name, response));
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public async Task The_redirect_and_no_leader_answers_match_a_real_cluster()
    {
        var contract = await ContractAsync();
        var documented = contract.Responses().ToDictionary(r => r.Name);
        await using var cluster = await TestCluster.StartAsync(3, new Dictionary<string, string>
        {
            ["Ledger:ApiTokens:0:Token"] = "w",
            ["Ledger:ApiTokens:0:Access"] = "write",
            ["Ledger:ApiTokens:1:Token"] = "r",
            ["Ledger:ApiTokens:1:Access"] = "read",
            ["Ledger:ApiTokens:2:Token"] = "a",
            ["Ledger:ApiTokens:2:Access"] = "admin",
            ["Ledger:RequireReadAuth"] = "true",
            ["Ledger:ReadTimeoutMs"] = "1000",
        }, bearerToken: "r");
        await cluster.WithOutputOnFailureAsync(async () =>
        {
            var leader = await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            var follower = cluster.Nodes.Nodes.First(n => n != leader);
            var problems = new List<string>();
            using var toFollower = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false }) { BaseAddress = follower.PublicUrl };
            foreach (var scenario in Scenarios().Where(s => s.Where == Where.Follower))
            {
                using var response = await scenario.Send(toFollower);
                problems.AddRange(await CheckAsync(contract, documented, scenario.Name, response));
                if (response.Headers.Location is { } location && location.GetLeftPart(UriPartial.Authority) != leader.PublicUrl.GetLeftPart(UriPartial.Authority))
                    problems.Add($"{scenario.Name}: Location {location} is not the leader's public URL {leader.PublicUrl}");
            }

            using var toLeader = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false }) { BaseAddress = leader.PublicUrl };
            foreach (var scenario in Scenarios().Where(s => s.Where == Where.Leader))
            {
                using var response = await scenario.Send(toLeader);
                problems.AddRange(await CheckAsync(contract, documented, scenario.Name, response));
            }

            // Two of three gone: the one left has no leader and answers 503 to everything that needs one.
            var lone = follower;
            foreach (var other in cluster.Nodes.Nodes.Where(n => n != lone))
                await other.KillAsync();
            await Conditions.WaitUntilAsync(async () => (await cluster.Nodes.LeaderSeenByAsync(lone)) is null, TimeSpan.FromSeconds(30), $"{lone.Id} names no leader");
            foreach (var scenario in Scenarios().Where(s => s.Where == Where.LoneNode))
            {
                using var response = await scenario.Send(toFollower);
                problems.AddRange(await CheckAsync(contract, documented, scenario.Name, response));
            }

            Assert.True(problems.Count == 0, string.Join("\n", problems));
        });
    }

    /// <summary>A route pattern as the document writes it: <c>{**key}</c> is <c>{key}</c>, <c>{id:int}</c> is <c>{id}</c>.</summary>
    private static string Normalize(string pattern) =>
        System.Text.RegularExpressions.Regex.Replace(pattern, @"\{\*{0,2}([A-Za-z]+)(:[^}]*)?\}", "{$1}").TrimEnd('/') is { Length: > 0 } p ? p : "/";
}
