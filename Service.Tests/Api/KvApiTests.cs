using System.Net;
using System.Net.Http.Headers;
using static GeoLedger.Tests.Api.ApiAssert;

namespace GeoLedger.Tests.Api;

/// <summary><c>/v1/kv</c> doing what DESIGN.md's table says: get, put, compare-and-set, create-only, delete, list, keys with '/' and '%'.</summary>
public sealed class KvApiTests(NodeFixture node) : IClassFixture<NodeFixture>
{
    private HttpClient Client => node.Client;

    private static HttpRequestMessage Request(HttpMethod method, string path, HttpContent? content = null, (string Name, string Value)? header = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        if (header is { } h)
            Assert.True(request.Headers.TryAddWithoutValidation(h.Name, h.Value));
        return request;
    }

    private async Task<long> PutAsync(string escapedKey, string valueJson)
    {
        using var response = await Client.PutAsync($"/v1/kv/{escapedKey}", Value(valueJson));
        return await EntryAsync(response, Uri.UnescapeDataString(escapedKey), valueJson);
    }

    [Fact]
    public async Task Put_answers_the_entry_and_get_reads_it_back_with_the_revision_as_etag()
    {
        using var put = await Client.PutAsync("/v1/kv/put/a", Json("""{ "value" : { "n" : [1, 2.5, "x"], "ok": true } }"""));
        var revision = await EntryAsync(put, "put/a", """{"n":[1,2.5,"x"],"ok":true}""");

        using var get = await Client.GetAsync("/v1/kv/put/a");

        Assert.Equal(revision, await EntryAsync(get, "put/a", """{"n":[1,2.5,"x"],"ok":true}"""));
    }

    [Fact]
    public async Task The_entry_answers_of_put_and_get_give_their_length_in_bytes_up_front()
    {
        // A key that needs escaping and a value of multi-byte characters: the length counts the bytes sent, not characters.
        using var put = await Client.PutAsync("/v1/kv/len%22%C3%A9", Json("""{"value":{"s":"ééé\"","n":12345678901}}"""));
        using var get = await Client.GetAsync("/v1/kv/len%22%C3%A9");

        foreach (var answer in new[] { put, get })
        {
            // The header as sent, read before the body: HttpContent computes a length of its own once the body is buffered.
            Assert.True(answer.Content.Headers.TryGetValues("Content-Length", out var sent));
            var body = await answer.Content.ReadAsByteArrayAsync();
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.Equal(body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), Assert.Single(sent));
            Assert.NotEqual(true, answer.Headers.TransferEncodingChunked);
            Assert.StartsWith("""{"key":"len\u0022\u00E9","value":{"s":"ééé\"","n":12345678901},"revision":""", System.Text.Encoding.UTF8.GetString(body));
        }
    }

    [Theory]
    [InlineData("\"text\"", "\"text\"")]
    [InlineData("-12.5e3", "-12.5e3")]
    [InlineData("false", "false")]
    [InlineData("null", "null")]
    [InlineData("[ ]", "[]")]
    [InlineData("\"\\u00e9\\n\\\"\"", "\"é\\n\\\"\"")] // escapes JSON does not need are written as the UTF-8 they stand for
    public async Task Any_json_value_is_stored_as_its_minified_text(string sentJson, string storedJson)
    {
        using var put = await Client.PutAsync("/v1/kv/kinds", Json($"{{\"value\":{sentJson}}}"));
        await EntryAsync(put, "kinds", storedJson);

        using var get = await Client.GetAsync("/v1/kv/kinds");

        await EntryAsync(get, "kinds", storedJson);
    }

    [Fact]
    public async Task Every_write_gets_a_higher_revision()
    {
        var first = await PutAsync("rev/a", "1");
        var second = await PutAsync("rev/b", "2");
        var third = await PutAsync("rev/a", "3");

        Assert.True(first < second && second < third, $"{first} < {second} < {third}");
    }

    [Fact]
    public async Task Get_of_an_absent_key_is_a_404_problem()
    {
        using var response = await Client.GetAsync("/v1/kv/never/written");

        var problem = await ProblemAsync(response, HttpStatusCode.NotFound, "not found");
        Assert.Contains("never/written", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("linearizable")]
    [InlineData("local")]
    [InlineData("LOCAL")]
    public async Task Both_consistency_levels_read_the_written_value(string level)
    {
        await PutAsync("levels", "7");

        using var response = await Client.GetAsync($"/v1/kv/levels?consistency={level}");

        await EntryAsync(response, "levels", "7");
    }

    [Fact]
    public async Task If_match_with_the_current_revision_sets_the_value()
    {
        var revision = await PutAsync("cas/ok", "\"old\"");

        using var response = await Client.SendAsync(Request(HttpMethod.Put, "/v1/kv/cas/ok", Value("\"new\""), ("If-Match", $"\"{revision}\"")));

        Assert.True(await EntryAsync(response, "cas/ok", "\"new\"") > revision);
    }

    [Fact]
    public async Task If_match_with_a_stale_revision_is_412_with_the_current_revision_and_changes_nothing()
    {
        var stale = await PutAsync("cas/stale", "1");
        var current = await PutAsync("cas/stale", "2");

        using var response = await Client.SendAsync(Request(HttpMethod.Put, "/v1/kv/cas/stale", Value("3"), ("If-Match", $"\"{stale}\"")));

        var problem = await ProblemAsync(response, HttpStatusCode.PreconditionFailed);
        Assert.Equal(current, problem.GetProperty("currentRevision").GetInt64());
        using var get = await Client.GetAsync("/v1/kv/cas/stale");
        Assert.Equal(current, await EntryAsync(get, "cas/stale", "2"));
    }

    [Fact]
    public async Task If_match_any_updates_an_existing_key_and_412s_an_absent_one()
    {
        await PutAsync("cas/any", "1");

        using var existing = await Client.SendAsync(Request(HttpMethod.Put, "/v1/kv/cas/any", Value("2"), ("If-Match", "*")));
        using var absent = await Client.SendAsync(Request(HttpMethod.Put, "/v1/kv/cas/none", Value("2"), ("If-Match", "*")));

        await EntryAsync(existing, "cas/any", "2");
        var problem = await ProblemAsync(absent, HttpStatusCode.PreconditionFailed);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, problem.GetProperty("currentRevision").ValueKind);
        Assert.Equal("absent", await node.ReadAsync("cas/none"));
    }

    [Fact]
    public async Task If_none_match_any_creates_once_then_412s_and_keeps_the_first_value()
    {
        using var first = await Client.SendAsync(Request(HttpMethod.Put, "/v1/kv/create/once", Value("\"first\""), ("If-None-Match", "*")));
        var created = await EntryAsync(first, "create/once", "\"first\"");

        using var second = await Client.SendAsync(Request(HttpMethod.Put, "/v1/kv/create/once", Value("\"second\""), ("If-None-Match", "*")));

        var problem = await ProblemAsync(second, HttpStatusCode.PreconditionFailed);
        Assert.Equal(created, problem.GetProperty("currentRevision").GetInt64());
        using var get = await Client.GetAsync("/v1/kv/create/once");
        Assert.Equal(created, await EntryAsync(get, "create/once", "\"first\""));
    }

    [Fact]
    public async Task Delete_answers_204_then_404()
    {
        await PutAsync("del/a", "1");

        using var first = await Client.DeleteAsync("/v1/kv/del/a");
        using var second = await Client.DeleteAsync("/v1/kv/del/a");

        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        NodeHeaders(first);
        await ProblemAsync(second, HttpStatusCode.NotFound);
        Assert.Equal("absent", await node.ReadAsync("del/a"));
    }

    [Fact]
    public async Task Delete_with_a_wrong_if_match_is_412_and_keeps_the_key_then_the_right_one_deletes()
    {
        var revision = await PutAsync("del/cas", "1");

        using var wrong = await Client.SendAsync(Request(HttpMethod.Delete, $"/v1/kv/del/cas", header: ("If-Match", $"\"{revision + 1000}\"")));
        var problem = await ProblemAsync(wrong, HttpStatusCode.PreconditionFailed);
        Assert.Equal(revision, problem.GetProperty("currentRevision").GetInt64());
        using (var kept = await Client.GetAsync("/v1/kv/del/cas"))
            Assert.Equal(revision, await EntryAsync(kept, "del/cas", "1"));

        using var right = await Client.SendAsync(Request(HttpMethod.Delete, $"/v1/kv/del/cas", header: ("If-Match", $"\"{revision}\"")));
        Assert.Equal(HttpStatusCode.NoContent, right.StatusCode);
        Assert.Equal("absent", await node.ReadAsync("del/cas"));
    }

    [Fact]
    public async Task Get_with_if_none_match_equal_to_the_etag_is_304_and_with_another_etag_200()
    {
        var revision = await PutAsync("etag/a", "1");

        using var same = await Client.SendAsync(Request(HttpMethod.Get, "/v1/kv/etag/a", header: ("If-None-Match", $"\"{revision}\"")));
        using var other = await Client.SendAsync(Request(HttpMethod.Get, "/v1/kv/etag/a", header: ("If-None-Match", $"\"{revision - 1}\"")));

        Assert.Equal(HttpStatusCode.NotModified, same.StatusCode);
        Assert.Equal($"\"{revision}\"", same.Headers.ETag?.Tag);
        Assert.Empty(await same.Content.ReadAsByteArrayAsync());
        NodeHeaders(same);
        await EntryAsync(other, "etag/a", "1");
    }

    [Fact]
    public async Task A_percent_encoded_slash_is_a_slash_in_the_key()
    {
        await PutAsync("pct%2Fslash", "1");

        using var plain = await Client.GetAsync("/v1/kv/pct/slash");

        await EntryAsync(plain, "pct/slash", "1");
    }

    [Fact]
    public async Task Percent_25_is_a_literal_percent_and_the_key_is_decoded_exactly_once()
    {
        using var percent = await Client.PutAsync("/v1/kv/100%25", Value("1"));
        await EntryAsync(percent, "100%", "1");
        using var twice = await Client.PutAsync("/v1/kv/a%252Fb", Value("2"));
        await EntryAsync(twice, "a%2Fb", "2");

        using var list = await Client.GetAsync($"/v1/kv?prefix={Uri.EscapeDataString("a%2F")}");
        var items = (await BodyAsync(list)).GetProperty("items");
        Assert.Equal("a%2Fb", Assert.Single(items.EnumerateArray()).GetProperty("key").GetString());
        Assert.Equal("absent", await node.ReadAsync("a/b"));
    }

    [Fact]
    public async Task Unicode_and_spaces_survive_percent_encoding()
    {
        using var put = await Client.PutAsync("/v1/kv/" + Uri.EscapeDataString("é ключ/🔑"), Value("1"));

        await EntryAsync(put, "é ключ/🔑", "1");
        using var get = await Client.GetAsync("/v1/kv/%C3%A9%20%D0%BA%D0%BB%D1%8E%D1%87/%F0%9F%94%91");
        await EntryAsync(get, "é ключ/🔑", "1");
    }

    [Fact]
    public async Task Encoded_query_and_fragment_characters_belong_to_the_key()
    {
        using var put = await Client.PutAsync("/v1/kv/q%3Fx%3D1%23f?consistency=local", Value("1"));

        await EntryAsync(put, "q?x=1#f", "1");
        using var get = await Client.GetAsync("/v1/kv/q%3Fx%3D1%23f?consistency=local");
        await EntryAsync(get, "q?x=1#f", "1");
        Assert.Equal("absent", await node.ReadAsync("q"));
    }

    [Fact]
    public async Task A_key_of_exactly_1024_utf8_bytes_is_accepted()
    {
        var key = "k/" + new string('é', 511); // 2 + 511 * 2 = 1024 bytes

        using var response = await Client.PutAsync("/v1/kv/" + Uri.EscapeDataString(key), Value("1"));

        await EntryAsync(response, key, "1");
    }

    [Fact]
    public async Task A_value_nested_64_deep_in_the_body_is_accepted()
    {
        // The body object is level 1, so 63 arrays reach the limit of 64 exactly.
        var value = new string('[', 63) + new string(']', 63);

        using var response = await Client.PutAsync("/v1/kv/deep/ok", Value(value));

        await EntryAsync(response, "deep/ok", value);
    }

    [Fact]
    public async Task Listing_pages_with_after_and_next_in_key_order_until_next_is_null()
    {
        string[] keys = ["page/a", "page/b", "page/b/1", "page/c", "page/d", "page/e", "page/f"];
        foreach (var key in keys.Reverse())
            await PutAsync(key, $"\"{key}\"");
        await PutAsync("pagf", "0");
        await PutAsync("pag", "0");

        var seen = new List<string>();
        var pages = new List<int>();
        string? after = null;
        do
        {
            var query = "/v1/kv?prefix=page%2F&limit=3" + (after is null ? "" : "&after=" + Uri.EscapeDataString(after));
            using var response = await Client.GetAsync(query);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            NodeHeaders(response);
            var body = await BodyAsync(response);
            var items = body.GetProperty("items").EnumerateArray().ToList();
            foreach (var item in items)
            {
                var key = item.GetProperty("key").GetString()!;
                Assert.Equal($"\"{key}\"", item.GetProperty("value").GetRawText());
                Assert.True(item.GetProperty("revision").GetInt64() > 0);
                seen.Add(key);
            }

            pages.Add(items.Count);
            var next = body.GetProperty("next");
            after = next.ValueKind == System.Text.Json.JsonValueKind.Null ? null : next.GetString();
            if (after is not null)
                Assert.Equal(items[^1].GetProperty("key").GetString(), after);
        }
        while (after is not null && pages.Count < 10);

        Assert.Equal(keys, seen);
        Assert.Equal([3, 3, 1], pages);
    }

    [Fact]
    public async Task Listing_defaults_to_everything_in_order_and_accepts_the_largest_limit()
    {
        await PutAsync("all/2", "2");
        await PutAsync("all/1", "1");

        using var response = await Client.GetAsync("/v1/kv?prefix=all/&limit=1000");
        var body = await BodyAsync(response);

        Assert.Equal(["all/1", "all/2"], body.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("key").GetString()));
        Assert.Equal(System.Text.Json.JsonValueKind.Null, body.GetProperty("next").ValueKind);
    }

    [Fact]
    public async Task Listing_an_unused_prefix_is_empty_with_next_null()
    {
        using var response = await Client.GetAsync("/v1/kv?prefix=nothing/here/");

        Assert.Equal("""{"items":[],"next":null}""", await response.Content.ReadAsStringAsync());
        NodeHeaders(response);
    }

    [Fact]
    public async Task A_put_with_charset_in_the_content_type_and_its_case_is_accepted()
    {
        var content = new StringContent("""{"value":1}""");
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("Application/JSON; charset=UTF-8");

        using var response = await Client.PutAsync("/v1/kv/ctype", content);

        await EntryAsync(response, "ctype", "1");
    }
}
