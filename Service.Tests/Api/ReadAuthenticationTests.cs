using System.Net;
using System.Net.Http.Headers;
using static GeoLedger.Tests.Api.ApiAssert;

namespace GeoLedger.Tests.Api;

/// <summary>A node with tokens <c>w</c> (write), <c>r</c> (read) and <c>a</c> (admin), and <c>Ledger:RequireReadAuth</c> true.</summary>
public sealed class ReadAuthNodeFixture() : NodeFixture(new()
{
    ["Ledger:ApiTokens:0:Token"] = "w",
    ["Ledger:ApiTokens:0:Access"] = "write",
    ["Ledger:ApiTokens:1:Token"] = "r",
    ["Ledger:ApiTokens:1:Access"] = "read",
    ["Ledger:ApiTokens:2:Token"] = "a",
    ["Ledger:ApiTokens:2:Access"] = "admin",
    ["Ledger:RequireReadAuth"] = "true",
})
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "w"); // for the fixture's own reads
        using var response = await Client.PutAsync("/v1/kv/secret", Value("\"s\""));
        response.EnsureSuccessStatusCode();
        Client.DefaultRequestHeaders.Authorization = null;
    }
}

/// <summary>With <c>Ledger:RequireReadAuth</c>, reads need a token too; the probes never do.</summary>
public sealed class ReadAuthenticationTests(ReadAuthNodeFixture node) : IClassFixture<ReadAuthNodeFixture>
{
    private static HttpRequestMessage Get(string path, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    [Theory]
    [InlineData("/v1/kv/secret", null)]
    [InlineData("/v1/kv/secret", "nope")]
    [InlineData("/v1/kv?prefix=s", null)]
    [InlineData("/v1/cluster", null)]
    [InlineData("/1", null)]
    [InlineData("/1", "nope")]
    public async Task A_read_without_a_known_token_is_401(string path, string? token)
    {
        using var response = await node.Client.SendAsync(Get(path, token));

        var problem = await ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        Assert.DoesNotContain("\"s\"", problem.GetRawText(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("r")]
    [InlineData("w")]
    [InlineData("a")]
    public async Task A_read_with_a_read_write_or_admin_token_is_served(string token)
    {
        using var response = await node.Client.SendAsync(Get("/v1/kv/secret", token));

        await EntryAsync(response, "secret", "\"s\"");
    }

    [Theory]
    [InlineData("/healthz", """{"status":"alive"}""")]
    [InlineData("/readyz", """{"status":"ready"}""")]
    public async Task Probes_need_no_token_and_without_one_tell_only_the_status(string path, string body)
    {
        using var response = await node.Client.SendAsync(Get(path, null));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body, await response.Content.ReadAsStringAsync());
        NodeHeaders(response, leader: null);
    }

    [Theory]
    [InlineData("r")]
    [InlineData("w")]
    public async Task Readyz_with_a_read_token_names_the_leader_and_the_applied_index(string token)
    {
        using var response = await node.Client.SendAsync(Get("/readyz", token));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await BodyAsync(response);
        Assert.Equal("ready", body.GetProperty("status").GetString());
        Assert.Equal("node-0", body.GetProperty("leader").GetString());
        Assert.True(body.GetProperty("appliedIndex").GetInt64() >= 1, body.GetRawText());
        NodeHeaders(response);
    }

    [Fact]
    public async Task A_401_does_not_name_the_leader()
    {
        using var response = await node.Client.SendAsync(Get("/v1/cluster", "nope"));

        await ProblemAsync(response, HttpStatusCode.Unauthorized, "Unknown token");
        Assert.False(response.Headers.Contains("X-GeoLedger-Leader"));
    }

    [Fact]
    public async Task A_write_with_the_read_token_is_still_403()
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, "/v1/kv/secret") { Content = Value("\"changed\"") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "r");

        using var response = await node.Client.SendAsync(request);

        await ProblemAsync(response, HttpStatusCode.Forbidden);
        using var check = await node.Client.SendAsync(Get("/v1/kv/secret", "r"));
        await EntryAsync(check, "secret", "\"s\"");
    }
}
