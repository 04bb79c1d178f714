using System.Net;
using System.Text.Json;
using static GeoLedger.Tests.Api.ApiAssert;

namespace GeoLedger.Tests.Api;

/// <summary>The article's interface, verbatim: <c>PUT /{id}</c> with <c>{"state": "..."}</c> and <c>GET /{id}</c>.</summary>
public sealed class ArticleApiTests(NodeFixture node) : IClassFixture<NodeFixture>
{
    private HttpClient Client => node.Client;

    private async Task<string> PublicUrlAsync()
    {
        using var response = await Client.GetAsync("/v1/cluster");
        return (await BodyAsync(response)).GetProperty("node").GetProperty("public").GetString()!;
    }

    private async Task AssertAnswerAsync(HttpResponseMessage response, int id, string? state)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected 200, got {(int)response.StatusCode}: {text}");
        NodeHeaders(response);
        var body = JsonDocument.Parse(text).RootElement;
        var url = await PublicUrlAsync();
        Assert.Equal(["leader", "current", "id", "state"], body.EnumerateObject().Select(p => p.Name));
        Assert.Equal(url, body.GetProperty("leader").GetString());
        Assert.Equal(url, body.GetProperty("current").GetString());
        Assert.Equal(id, body.GetProperty("id").GetInt32());
        if (state is null)
            Assert.Equal(JsonValueKind.Null, body.GetProperty("state").ValueKind);
        else
            Assert.Equal(state, body.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Put_then_get_answers_leader_current_id_and_state()
    {
        using var put = await Client.PutAsync("/1", Json("""{"state":"x"}"""));
        await AssertAnswerAsync(put, 1, "x");

        using var get = await Client.GetAsync("/1");

        await AssertAnswerAsync(get, 1, "x");
    }

    [Fact]
    public async Task An_id_never_written_is_200_with_state_null()
    {
        using var response = await Client.GetAsync("/7");

        await AssertAnswerAsync(response, 7, null);
    }

    [Fact]
    public async Task The_article_id_is_the_key_of_the_same_number()
    {
        using (var put = await Client.PutAsync("/2", Json("""{"state":"héllo \"quoted\""}""")))
            await AssertAnswerAsync(put, 2, "héllo \"quoted\"");

        using var kv = await Client.GetAsync("/v1/kv/2");

        await EntryAsync(kv, "2", "\"héllo \\\"quoted\\\"\"");
    }

    [Fact]
    public async Task A_non_string_value_written_through_v1_is_shown_as_its_json_text()
    {
        using (var put = await Client.PutAsync("/v1/kv/3", Value("""{"a":1}""")))
            put.EnsureSuccessStatusCode();

        using var get = await Client.GetAsync("/3");

        await AssertAnswerAsync(get, 3, """{"a":1}""");
    }

    [Theory]
    [InlineData("""{"state":5}""")]
    [InlineData("""{"state":null}""")]
    [InlineData("""{"state":["x"]}""")]
    [InlineData("""{"state":{"x":1}}""")]
    public async Task A_non_string_state_is_400_and_changes_nothing(string body)
    {
        using (var put = await Client.PutAsync("/4", Json("""{"state":"kept"}""")))
            await AssertAnswerAsync(put, 4, "kept");

        using var response = await Client.PutAsync("/4", Json(body));

        await ProblemAsync(response, HttpStatusCode.BadRequest, "\"state\" must be a string");
        using var get = await Client.GetAsync("/4");
        await AssertAnswerAsync(get, 4, "kept");
    }

    [Theory]
    [InlineData("""{"state":"x","extra":1}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"value":"x"}""", HttpStatusCode.BadRequest)]
    [InlineData("""{"state":""", HttpStatusCode.BadRequest)]
    public async Task Other_bad_bodies_are_4xx_and_change_nothing(string body, HttpStatusCode status)
    {
        using var response = await Client.PutAsync("/5", Json(body));

        await ProblemAsync(response, status);
        using var get = await Client.GetAsync("/5");
        await AssertAnswerAsync(get, 5, null);
    }

    [Fact]
    public async Task A_wrong_content_type_is_415()
    {
        using var response = await Client.PutAsync("/6", new StringContent("""{"state":"x"}"""));

        await ProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
        Assert.Equal("absent", await node.ReadAsync("6"));
    }
}
