using System.Net;
using System.Net.Http.Headers;
using static GeoLedger.Tests.Api.ApiAssert;

namespace GeoLedger.Tests.Api;

/// <summary>A node with a write token <c>w</c>, a read token <c>r</c> and an admin token <c>a</c>; reads open (<c>Ledger:RequireReadAuth</c> false).</summary>
public sealed class TokenNodeFixture() : NodeFixture(new()
{
    ["Ledger:ApiTokens:0:Token"] = "w",
    ["Ledger:ApiTokens:0:Access"] = "write",
    ["Ledger:ApiTokens:1:Token"] = "r",
    ["Ledger:ApiTokens:1:Access"] = "read",
    ["Ledger:ApiTokens:2:Token"] = "a",
    ["Ledger:ApiTokens:2:Access"] = "admin",
});

/// <summary>Writes need a write token (401 without or with an unknown one, 403 with a read one); reads and probes stay open.</summary>
public sealed class AuthenticationTests(TokenNodeFixture node) : IClassFixture<TokenNodeFixture>
{
    private HttpClient Client => node.Client;

    private static HttpRequestMessage Write(HttpMethod method, string path, string? authorization)
    {
        var request = new HttpRequestMessage(method, path);
        if (method != HttpMethod.Delete)
            request.Content = path.StartsWith("/v1/", StringComparison.Ordinal) ? Value("\"intruder\"") : Json("""{"state":"intruder"}""");
        if (authorization is not null)
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        return request;
    }

    private async Task<string> SeedAsync(string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/v1/kv/{key}") { Content = Value("\"kept\"") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "w");
        using var response = await Client.SendAsync(request);
        await EntryAsync(response, key, "\"kept\"");
        return await node.ReadAsync(key);
    }

    public static TheoryData<string, string, string?> Writes(string?[] authorizations)
    {
        var data = new TheoryData<string, string, string?>();
        foreach (var authorization in authorizations)
        {
            data.Add("PUT", "/v1/kv/auth/kv", authorization);
            data.Add("DELETE", "/v1/kv/auth/kv", authorization);
            data.Add("PUT", "/11", authorization);
        }

        return data;
    }

    public static TheoryData<string, string, string?> UnauthenticatedWrites => Writes([null, "", "Bearer", "Bearer ", "Basic dzp3", "w", "Bearer nope", "Bearer W", "Bearer w2"]);

    public static TheoryData<string, string, string?> ReadTokenWrites => Writes(["Bearer r", "bearer r", "Bearer  r "]);

    [Theory]
    [MemberData(nameof(UnauthenticatedWrites))]
    public async Task A_write_without_a_known_token_is_401_with_www_authenticate_and_changes_nothing(string method, string path, string? authorization)
    {
        var key = path.StartsWith("/v1/kv/", StringComparison.Ordinal) ? path["/v1/kv/".Length..] : path[1..];
        var before = await SeedAsync(key);

        using var response = await Client.SendAsync(Write(new HttpMethod(method), path, authorization));

        await ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
        Assert.Equal(before, await node.ReadAsync(key));
    }

    [Theory]
    [MemberData(nameof(ReadTokenWrites))]
    public async Task A_write_with_a_read_token_is_403_and_changes_nothing(string method, string path, string? authorization)
    {
        var key = path.StartsWith("/v1/kv/", StringComparison.Ordinal) ? path["/v1/kv/".Length..] : path[1..];
        var before = await SeedAsync(key);

        using var response = await Client.SendAsync(Write(new HttpMethod(method), path, authorization));

        await ProblemAsync(response, HttpStatusCode.Forbidden, "write access");
        Assert.Empty(response.Headers.WwwAuthenticate);
        Assert.Equal(before, await node.ReadAsync(key));
    }

    [Fact]
    public async Task Writes_with_the_write_token_succeed()
    {
        using var put = await Client.SendAsync(Write(HttpMethod.Put, "/v1/kv/auth/ok", "Bearer w"));
        await EntryAsync(put, "auth/ok", "\"intruder\"");
        using var article = await Client.SendAsync(Write(HttpMethod.Put, "/12", "bearer w"));
        Assert.Equal(HttpStatusCode.OK, article.StatusCode);
        using var delete = await Client.SendAsync(Write(HttpMethod.Delete, "/v1/kv/auth/ok", "Bearer w"));
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        Assert.Equal("absent", await node.ReadAsync("auth/ok"));
    }

    [Fact]
    public async Task An_admin_token_can_write_too()
    {
        using var put = await Client.SendAsync(Write(HttpMethod.Put, "/v1/kv/auth/admin", "Bearer a"));

        await EntryAsync(put, "auth/admin", "\"intruder\"");
    }

    [Theory]
    [InlineData("/v1/kv/auth/read")]
    [InlineData("/v1/kv?prefix=auth/")]
    [InlineData("/v1/cluster")]
    [InlineData("/11")]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    public async Task Reads_and_probes_need_no_token(string path)
    {
        await SeedAsync("auth/read");

        using var response = await Client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        NodeHeaders(response);
    }

    [Fact]
    public async Task A_read_with_an_unknown_token_is_still_served_when_reads_are_open()
    {
        await SeedAsync("auth/unknown");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/kv/auth/unknown");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "nope");

        using var response = await Client.SendAsync(request);

        await EntryAsync(response, "auth/unknown", "\"kept\"");
    }
}
