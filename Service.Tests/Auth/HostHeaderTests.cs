using System.Net;
using System.Net.Http.Headers;
using GeoLedger.Tests.Api;
using static GeoLedger.Tests.Api.ApiAssert;

namespace GeoLedger.Tests.Auth;

/// <summary>A node without tokens that names one extra host, <c>ledger.example</c>, in <c>Ledger:AllowedHosts</c>.</summary>
public sealed class NamedHostNodeFixture() : NodeFixture(new() { ["Ledger:AllowedHosts:0"] = "ledger.example" });

/// <summary>
/// DNS rebinding: without tokens a node answers only requests addressed to loopback, a member's public host or a
/// host named in <c>Ledger:AllowedHosts</c>; a page whose name was re-pointed at 127.0.0.1 gets a 400 that tells it nothing.
/// </summary>
public sealed class HostHeaderTests(NodeFixture open, TokenNodeFixture withTokens, NamedHostNodeFixture named)
    : IClassFixture<NodeFixture>, IClassFixture<TokenNodeFixture>, IClassFixture<NamedHostNodeFixture>
{
    private static HttpRequestMessage Request(HttpMethod method, string path, string host, string? token = null)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Host = host;
        if (method == HttpMethod.Put)
            request.Content = Value("\"from a rebound page\"");
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    [Theory]
    [InlineData("GET", "/v1/cluster")]
    [InlineData("GET", "/v1/kv/rebinding")]
    [InlineData("PUT", "/v1/kv/rebinding")]
    [InlineData("GET", "/readyz")]
    public async Task Without_tokens_a_foreign_host_gets_a_400_that_names_nothing_and_changes_nothing(string method, string path)
    {
        var commit = await open.CommitIndexAsync();

        using var response = await open.Client.SendAsync(Request(new HttpMethod(method), path, "attacker.example:5080"));

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Host not allowed", text, StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("X-GeoLedger-Leader"));
        Assert.False(response.Headers.Contains("X-GeoLedger-Node"));
        Assert.DoesNotContain("node-0", text, StringComparison.Ordinal);
        Assert.Equal("absent", await open.ReadAsync("rebinding"));
        Assert.Equal(commit, await open.CommitIndexAsync());
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("LOCALHOST:5080")]
    [InlineData("127.0.0.1:5080")]
    [InlineData("127.0.0.2")]
    [InlineData("[::1]:5080")]
    public async Task Without_tokens_loopback_hosts_are_served(string host)
    {
        using var response = await open.Client.SendAsync(Request(HttpMethod.Get, "/v1/cluster", host));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        NodeHeaders(response);
    }

    [Fact]
    public async Task A_host_named_in_allowed_hosts_is_served_and_others_are_not()
    {
        using var allowed = await named.Client.SendAsync(Request(HttpMethod.Put, "/v1/kv/named-host", "ledger.example:443"));
        using var other = await named.Client.SendAsync(Request(HttpMethod.Put, "/v1/kv/named-host-other", "ledger.example.attacker.example"));

        await EntryAsync(allowed, "named-host", "\"from a rebound page\"");
        Assert.Equal(HttpStatusCode.BadRequest, other.StatusCode);
        Assert.Equal("absent", await named.ReadAsync("named-host-other"));
    }

    [Fact]
    public async Task With_tokens_any_host_is_served_as_before()
    {
        using var read = await withTokens.Client.SendAsync(Request(HttpMethod.Get, "/v1/cluster", "ledger.example.net"));
        using var write = await withTokens.Client.SendAsync(Request(HttpMethod.Put, "/v1/kv/any-host", "ledger.example.net", token: "w"));

        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        await EntryAsync(write, "any-host", "\"from a rebound page\"");
    }
}
