using System.Net;
using System.Text.Json;
using static GeoLedger.Tests.Api.ApiAssert;

namespace GeoLedger.Tests.Api;

/// <summary><c>/v1/cluster</c>, <c>/healthz</c>, <c>/readyz</c>, and the node headers on every kind of response.</summary>
public sealed class ClusterApiTests(NodeFixture node) : IClassFixture<NodeFixture>
{
    private HttpClient Client => node.Client;

    private static void AssertMember(JsonElement member, string id)
    {
        Assert.Equal(id, member.GetProperty("id").GetString());
        Assert.False(string.IsNullOrEmpty(member.GetProperty("region").GetString()));
        Assert.True(Uri.TryCreate(member.GetProperty("public").GetString(), UriKind.Absolute, out var @public) && @public.Scheme == "http");
        Assert.Equal("http://127.0.0.1:3262/", member.GetProperty("raft").GetString());
        Assert.NotEqual(3262, @public.Port);
        Assert.Equal(0, member.GetProperty("priority").GetInt32()); // absent from the node config
    }

    [Fact]
    public async Task Cluster_describes_node_leader_indices_and_members_with_status()
    {
        long revision;
        using (var put = await Client.PutAsync("/v1/kv/cluster/a", Value("1")))
            revision = await EntryAsync(put, "cluster/a", "1");

        using var response = await Client.GetAsync("/v1/cluster");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        NodeHeaders(response);
        var body = await BodyAsync(response);
        Assert.Equal(["node", "leader", "term", "commitIndex", "appliedIndex", "durableIndex", "members", "preferredLeader", "lastTransfer", "membership", "membersVersion"], body.EnumerateObject().Select(p => p.Name));
        Assert.Equal(JsonValueKind.Null, body.GetProperty("preferredLeader").ValueKind); // no member has a priority
        Assert.Equal(JsonValueKind.Null, body.GetProperty("lastTransfer").ValueKind);
        AssertMember(body.GetProperty("node"), "node-0");
        AssertMember(body.GetProperty("leader"), "node-0");
        Assert.Equal(body.GetProperty("node").GetRawText(), body.GetProperty("leader").GetRawText());
        Assert.True(body.GetProperty("term").GetInt64() >= 0, body.GetRawText()); // a one-member cluster leads in its stored term
        var commit = body.GetProperty("commitIndex").GetInt64();
        Assert.True(commit >= revision, $"the put (index {revision}) is committed; commitIndex is {commit}");
        Assert.Equal(commit, body.GetProperty("appliedIndex").GetInt64());
        Assert.True(body.GetProperty("durableIndex").GetInt64() >= commit, "a lone member commits only what it flushed");
        var member = Assert.Single(body.GetProperty("members").EnumerateArray());
        AssertMember(member, "node-0");
        Assert.Equal("available", member.GetProperty("status").GetString());
        Assert.True(member.GetProperty("matchIndex").GetInt64() >= commit, "the leader shows its own flushed index as its match index");
        Assert.Equal(body.GetProperty("node").GetProperty("public").GetString(), member.GetProperty("public").GetString());
    }

    [Fact]
    public async Task Healthz_is_alive()
    {
        using var response = await Client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("alive", (await BodyAsync(response)).GetProperty("status").GetString());
        NodeHeaders(response);
    }

    [Fact]
    public async Task Readyz_is_ready_with_the_leader_once_elected()
    {
        using var response = await Client.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await BodyAsync(response);
        Assert.Equal("ready", body.GetProperty("status").GetString());
        Assert.Equal("node-0", body.GetProperty("leader").GetString());
        Assert.True(body.GetProperty("appliedIndex").GetInt64() >= 1);
        NodeHeaders(response);
    }

    [Theory]
    [InlineData("GET", "/v1/kv/headers/absent")]
    [InlineData("PUT", "/v1/kv/")]
    [InlineData("GET", "/v1/kv?limit=0")]
    [InlineData("GET", "/no/such/route")]
    [InlineData("POST", "/v1/kv/headers/a")]
    [InlineData("DELETE", "/v1/kv/headers/absent")]
    [InlineData("GET", "/v1/cluster")]
    [InlineData("GET", "/7")]
    public async Task Every_response_names_the_node_and_the_leader(string method, string path)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method is "PUT" or "POST")
            request.Content = Value("1");

        using var response = await Client.SendAsync(request);

        NodeHeaders(response);
    }

    [Theory]
    [InlineData("POST", "/healthz")]
    [InlineData("OPTIONS", "/readyz")]
    [InlineData("DELETE", "/readyz")]
    public async Task The_probes_answer_only_get(string method, string path)
    {
        using var response = await Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        await ProblemAsync(response, HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task An_unknown_route_and_a_wrong_method_are_problems_too()
    {
        using var unknown = await Client.GetAsync("/no/such/route");
        using var wrongMethod = await Client.PostAsync("/v1/kv/headers/a", Value("1"));

        await ProblemAsync(unknown, HttpStatusCode.NotFound);
        await ProblemAsync(wrongMethod, HttpStatusCode.MethodNotAllowed);
        Assert.Equal("absent", await node.ReadAsync("headers/a"));
    }
}
