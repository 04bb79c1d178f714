using System.Net;
using System.Net.Http.Headers;
using System.Text;
using static GeoLedger.Tests.Api.ApiAssert;

namespace GeoLedger.Tests.Api;

/// <summary>A node with <c>Ledger:MaxValueBytes</c> = 64 and one key, <c>seeded</c>, written before the tests.</summary>
public sealed class SmallValueNodeFixture() : NodeFixture(new() { ["Ledger:MaxValueBytes"] = "64" })
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        using var response = await Client.PutAsync("/v1/kv/seeded", Value("""{"v":1}"""));
        response.EnsureSuccessStatusCode();
    }
}

/// <summary>
/// Every kind of bad input gets a 4xx RFC 9457 problem with a title saying what to fix, and changes nothing:
/// after each rejected write the key, the whole listing and the commit index are as they were.
/// </summary>
public sealed class BadInputTests(SmallValueNodeFixture node) : IClassFixture<SmallValueNodeFixture>
{
    private HttpClient Client => node.Client;

    private static HttpRequestMessage Put(string path, HttpContent? content, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Put, path) { Content = content };
        foreach (var (name, value) in headers)
            Assert.True(request.Headers.TryAddWithoutValidation(name, value));
        return request;
    }

    private static HttpRequestMessage Delete(string path, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Delete, path);
        foreach (var (name, value) in headers)
            Assert.True(request.Headers.TryAddWithoutValidation(name, value));
        return request;
    }

    /// <summary>Sends <paramref name="request"/>, asserts the problem, and asserts that nothing changed.</summary>
    private async Task RejectedAsync(HttpRequestMessage request, HttpStatusCode status, string titleContains)
    {
        var before = (Seeded: await node.ReadAsync("seeded"), All: await node.ListAsync(""), Commit: await node.CommitIndexAsync());
        Assert.NotEqual("absent", before.Seeded);

        using (request)
        using (var response = await Client.SendAsync(request))
            await ProblemAsync(response, status, titleContains);

        Assert.Equal(before, (await node.ReadAsync("seeded"), await node.ListAsync(""), await node.CommitIndexAsync()));
    }

    [Theory]
    [InlineData("""{"value": }""")]
    [InlineData("""{"value": 1""")]
    [InlineData("""{'value': 1}""")]
    [InlineData("""{"value": tru}""")]
    [InlineData("""{"value": 1,}""")]
    [InlineData("""{"value": 1} {}""")]
    [InlineData("")]
    public async Task Malformed_json_is_400(string body)
    {
        await RejectedAsync(Put("/v1/kv/seeded", Json(body)), HttpStatusCode.BadRequest, "Malformed JSON");
    }

    [Fact]
    public async Task A_body_nested_deeper_than_64_is_400()
    {
        var value = new string('[', 64) + new string(']', 64); // 65 levels with the body object

        await RejectedAsync(Put("/v1/kv/seeded", Value(value)), HttpStatusCode.BadRequest, "Malformed JSON");
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/json; charset=iso-8859-1")]
    [InlineData("application/jsonx")]
    public async Task A_wrong_content_type_is_415(string contentType)
    {
        var content = new ByteArrayContent("""{"value":2}"""u8.ToArray());
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);

        await RejectedAsync(Put("/v1/kv/seeded", content), HttpStatusCode.UnsupportedMediaType, "application/json");
    }

    [Fact]
    public async Task A_missing_content_type_is_415()
    {
        var content = new ByteArrayContent("""{"value":2}"""u8.ToArray());

        await RejectedAsync(Put("/v1/kv/seeded", content), HttpStatusCode.UnsupportedMediaType, "application/json");
    }

    [Fact]
    public async Task A_put_without_a_body_is_415()
    {
        await RejectedAsync(Put("/v1/kv/seeded", null), HttpStatusCode.UnsupportedMediaType, "application/json");
    }

    [Theory]
    [InlineData("""{"value":1,"extra":2}""", "only")]
    [InlineData("""{"extra":2,"value":1}""", "only")]
    [InlineData("""{"value":1,"value":2}""", "only")]
    [InlineData("""{"Value":1}""", "only")]
    [InlineData("{}", "missing")]
    [InlineData("[1]", "object")]
    [InlineData("\"value\"", "object")]
    [InlineData("null", "object")]
    public async Task A_body_other_than_exactly_value_is_400(string body, string titleContains)
    {
        await RejectedAsync(Put("/v1/kv/seeded", Json(body)), HttpStatusCode.BadRequest, titleContains);
    }

    [Fact]
    public async Task A_value_over_max_value_bytes_is_413()
    {
        var value = "\"" + new string('x', 63) + "\""; // 65 bytes: one over

        await RejectedAsync(Put("/v1/kv/seeded", Value(value)), HttpStatusCode.RequestEntityTooLarge, "too large");
    }

    [Fact]
    public async Task A_value_of_exactly_max_value_bytes_is_accepted_and_whitespace_does_not_count()
    {
        var value = "\"" + new string('x', 62) + "\""; // 64 bytes

        using var response = await Client.PutAsync("/v1/kv/limit/exact", Json($"{{ \"value\" :   {value}   }}"));

        await EntryAsync(response, "limit/exact", value);
    }

    [Fact]
    public async Task A_value_is_measured_in_the_utf8_bytes_sent_not_in_escapes()
    {
        var value = "\"" + new string('é', 25) + "<&>\""; // 55 bytes of UTF-8; 6 bytes a character if each were escaped

        using var response = await Client.PutAsync("/v1/kv/limit/utf8", Value(value));

        await EntryAsync(response, "limit/utf8", value);
        Assert.Contains(value, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal); // the text as sent, not re-escaped
    }

    [Fact]
    public async Task A_body_declared_far_over_the_limit_is_413()
    {
        var content = Value("\"" + new string('x', 70 * 1024) + "\"");

        await RejectedAsync(Put("/v1/kv/seeded", content), HttpStatusCode.RequestEntityTooLarge, "too large");
    }

    [Fact]
    public async Task A_streamed_body_far_over_the_limit_is_413()
    {
        var content = new UnsizedContent(Encoding.UTF8.GetBytes("{\"value\":\"" + new string('x', 70 * 1024) + "\"}"));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        await RejectedAsync(Put("/v1/kv/seeded", content), HttpStatusCode.RequestEntityTooLarge, "too large");
    }

    [Fact]
    public async Task A_key_over_1024_bytes_is_400()
    {
        await RejectedAsync(Put("/v1/kv/" + new string('k', 1025), Value("1")), HttpStatusCode.BadRequest, "Key too long");
    }

    [Fact]
    public async Task A_key_over_1024_utf8_bytes_in_fewer_characters_is_400()
    {
        var key = new string('é', 513); // 513 characters, 1026 bytes

        await RejectedAsync(Put("/v1/kv/" + Uri.EscapeDataString(key), Value("1")), HttpStatusCode.BadRequest, "Key too long");
    }

    [Theory]
    [InlineData("a%01b")]
    [InlineData("a%0Ab")]
    [InlineData("a%1F")]
    [InlineData("%7F")]
    [InlineData("a%C2%85b")]
    public async Task A_key_with_a_control_character_is_400_on_every_method(string escapedKey)
    {
        await RejectedAsync(Put($"/v1/kv/{escapedKey}", Value("1")), HttpStatusCode.BadRequest, "control character");
        await RejectedAsync(Delete($"/v1/kv/{escapedKey}"), HttpStatusCode.BadRequest, "control character");
        using var get = await Client.GetAsync($"/v1/kv/{escapedKey}");
        await ProblemAsync(get, HttpStatusCode.BadRequest, "control character");
    }

    [Theory]
    [InlineData("a%C3")]
    [InlineData("a%FFb")]
    [InlineData("a%ED%A0%80")]
    public async Task A_key_that_is_not_utf8_after_decoding_is_400(string escapedKey)
    {
        await RejectedAsync(Put($"/v1/kv/{escapedKey}", Value("1")), HttpStatusCode.BadRequest, "Malformed key");
    }

    [Fact]
    public async Task An_empty_key_is_400()
    {
        await RejectedAsync(Put("/v1/kv/", Value("1")), HttpStatusCode.BadRequest, "Empty key");
        await RejectedAsync(Delete("/v1/kv/"), HttpStatusCode.BadRequest, "Empty key");
    }

    [Fact]
    public async Task If_match_together_with_if_none_match_is_400()
    {
        await RejectedAsync(Put("/v1/kv/seeded", Value("2"), ("If-Match", "\"1\""), ("If-None-Match", "*")), HttpStatusCode.BadRequest, "Conflicting preconditions");
        await RejectedAsync(Delete("/v1/kv/seeded", ("If-Match", "*"), ("If-None-Match", "*")), HttpStatusCode.BadRequest, "Conflicting preconditions");
    }

    [Theory]
    [InlineData("1")]
    [InlineData("W/\"1\"")]
    [InlineData("\"abc\"")]
    [InlineData("\"0\"")]
    [InlineData("\"-1\"")]
    [InlineData("\"\"")]
    [InlineData("\"1\", \"2\"")]
    [InlineData("\"99999999999999999999\"")]
    public async Task A_malformed_if_match_is_400(string ifMatch)
    {
        await RejectedAsync(Put("/v1/kv/seeded", Value("2"), ("If-Match", ifMatch)), HttpStatusCode.BadRequest, "Malformed If-Match");
        await RejectedAsync(Delete("/v1/kv/seeded", ("If-Match", ifMatch)), HttpStatusCode.BadRequest, "Malformed If-Match");
    }

    [Theory]
    [InlineData("\"1\"")]
    [InlineData("W/\"1\"")]
    [InlineData("*, \"1\"")]
    public async Task If_none_match_other_than_star_on_a_put_is_400(string ifNoneMatch)
    {
        await RejectedAsync(Put("/v1/kv/seeded", Value("2"), ("If-None-Match", ifNoneMatch)), HttpStatusCode.BadRequest, "must be *");
    }

    [Fact]
    public async Task If_none_match_on_a_delete_is_400()
    {
        await RejectedAsync(Delete("/v1/kv/seeded", ("If-None-Match", "*")), HttpStatusCode.BadRequest, "not allowed");
    }

    [Theory]
    [InlineData("/v1/kv/seeded?consistency=eventual")]
    [InlineData("/v1/kv/seeded?consistency=")]
    [InlineData("/v1/kv/seeded?consistency=local&consistency=local")]
    [InlineData("/v1/kv?consistency=strong")]
    [InlineData("/1?consistency=stale")]
    public async Task An_unknown_consistency_level_is_400(string path)
    {
        using var response = await Client.GetAsync(path);

        await ProblemAsync(response, HttpStatusCode.BadRequest, "consistency");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("1001")]
    [InlineData("x")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("")]
    public async Task A_list_limit_out_of_range_is_400(string limit)
    {
        using var response = await Client.GetAsync($"/v1/kv?limit={limit}");

        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest, "limit must be a whole number from 1 to 1000");
        Assert.Contains($"'{limit}'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v1/kv?limit=1&limit=2", "limit")]
    [InlineData("/v1/kv?prefix=a&prefix=b", "prefix")]
    [InlineData("/v1/kv?after=a&after=b", "after")]
    public async Task A_list_parameter_given_twice_is_400(string path, string name)
    {
        using var response = await Client.GetAsync(path);

        await ProblemAsync(response, HttpStatusCode.BadRequest, $"Give {name} once");
    }

    [Theory]
    [InlineData("/v1/kv?prefix=a%01")]
    [InlineData("/v1/kv?after=a%0A")]
    public async Task A_list_prefix_or_after_with_a_control_character_is_400(string path)
    {
        using var response = await Client.GetAsync(path);

        await ProblemAsync(response, HttpStatusCode.BadRequest, "control character");
    }

    /// <summary>A body sent without a Content-Length (chunked), so the node must count as it reads.</summary>
    private sealed class UnsizedContent(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
