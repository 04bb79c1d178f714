using System.Net;
using System.Text;
using System.Text.Json;

namespace GeoLedger.Tests.Api;

/// <summary>Requests and checks every API test shares.</summary>
internal static class ApiAssert
{
    /// <summary>A JSON body with <c>Content-Type: application/json; charset=utf-8</c>.</summary>
    public static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary><c>{"value": value}</c>.</summary>
    public static StringContent Value(string valueJson) => Json($"{{\"value\":{valueJson}}}");

    /// <summary>Parses a response body as JSON.</summary>
    public static async Task<JsonElement> BodyAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    /// <summary>Asserts an RFC 9457 problem with <paramref name="status"/>, a title, and the node headers; returns its body.</summary>
    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status, string? titleContains = null, string leader = "node-0")
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"Expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(text).RootElement.Clone();
        var title = body.GetProperty("title").GetString();
        Assert.False(string.IsNullOrWhiteSpace(title));
        Assert.Equal((int)status, body.GetProperty("status").GetInt32());
        if (titleContains is not null)
            Assert.Contains(titleContains, title, StringComparison.OrdinalIgnoreCase);
        NodeHeaders(response, status == HttpStatusCode.Unauthorized ? null : leader); // a 401 never names the leader
        return body;
    }

    /// <summary>Asserts <c>X-GeoLedger-Node</c> and <c>X-GeoLedger-Leader</c> of the single test node; a null leader means the header is absent.</summary>
    public static void NodeHeaders(HttpResponseMessage response, string? leader = "node-0")
    {
        Assert.Equal(["node-0"], response.Headers.GetValues("X-GeoLedger-Node"));
        if (leader is null)
            Assert.False(response.Headers.Contains("X-GeoLedger-Leader"), $"X-GeoLedger-Leader is {string.Join(",", response.Headers.TryGetValues("X-GeoLedger-Leader", out var v) ? v : [])}");
        else
            Assert.Equal([leader], response.Headers.GetValues("X-GeoLedger-Leader"));
    }

    /// <summary>Asserts 200 <c>{key, value, revision}</c> with the revision as ETag; returns the revision.</summary>
    public static async Task<long> EntryAsync(HttpResponseMessage response, string key, string valueJson)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected 200, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(text).RootElement;
        Assert.Equal(key, body.GetProperty("key").GetString());
        Assert.Equal(valueJson, body.GetProperty("value").GetRawText());
        var revision = body.GetProperty("revision").GetInt64();
        Assert.True(revision > 0);
        Assert.Equal($"\"{revision}\"", response.Headers.ETag?.Tag);
        NodeHeaders(response);
        return revision;
    }
}
