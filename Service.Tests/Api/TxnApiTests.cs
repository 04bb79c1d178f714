using System.Net;
using System.Text.Json;
using static GeoLedger.Tests.Api.ApiAssert;

namespace GeoLedger.Tests.Api;

/// <summary>A node with small transaction limits: 4 entries per list, 400 bytes per transaction, values up to 64 bytes.</summary>
public sealed class SmallTxnNodeFixture() : NodeFixture(new()
{
    ["Ledger:MaxTxnOperations"] = "4",
    ["Ledger:MaxTxnBytes"] = "400",
    ["Ledger:MaxValueBytes"] = "64",
});

/// <summary><c>POST /v1/txn</c>: the answer's shape, both branches, and every bad input refused with a problem that changes nothing.</summary>
public sealed class TxnApiTests(SmallTxnNodeFixture node) : IClassFixture<SmallTxnNodeFixture>
{
    private HttpClient Client => node.Client;

    private async Task<JsonElement> TxnAsync(string body)
    {
        using var response = await Client.PostAsync("/v1/txn", Json(body));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"Expected 200, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        NodeHeaders(response);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task A_transfer_succeeds_at_the_read_revisions_and_fails_once_they_moved()
    {
        using (var a = await Client.PutAsync("/v1/kv/txn/a", Value("100")))
            a.EnsureSuccessStatusCode();
        using (var b = await Client.PutAsync("/v1/kv/txn/b", Value("{\"n\":5}")))
            b.EnsureSuccessStatusCode();
        var revA = (await BodyAsync(await Client.GetAsync("/v1/kv/txn/a"))).GetProperty("revision").GetInt64();
        var revB = (await BodyAsync(await Client.GetAsync("/v1/kv/txn/b"))).GetProperty("revision").GetInt64();
        var transfer = $$$"""
            {"compare": [{"key": "txn/a", "target": "revision", "result": "equal", "value": {{{revA}}}},
                         {"key": "txn/b", "target": "value", "result": "equal", "value": { "n" : 5 }}],
             "success": [{"put": {"key": "txn/a", "value": 90}}, {"put": {"key": "txn/b", "value": {"n": 15} } }, {"get": {"key": "txn/a"}}, {"delete": {"key": "txn/none"}}],
             "failure": [{"get": {"key": "txn/a"}}, {"get": {"key": "txn/none"}}]}
            """;

        var first = await TxnAsync(transfer);
        var again = await TxnAsync(transfer);

        var revision = first.GetProperty("revision").GetInt64();
        Assert.True(revision > revB);
        Assert.Equal(
            $$$"""{"succeeded":true,"revision":{{{revision}}},"results":[{"put":{"key":"txn/a","revision":{{{revision}}}}},{"put":{"key":"txn/b","revision":{{{revision}}}}},{"get":{"key":"txn/a","found":true,"value":90,"revision":{{{revision}}}}},{"delete":{"key":"txn/none","deleted":false}}]}""",
            first.GetRawText());
        Assert.Equal(
            $$$"""{"succeeded":false,"revision":{{{again.GetProperty("revision").GetInt64()}}},"results":[{"get":{"key":"txn/a","found":true,"value":90,"revision":{{{revision}}}}},{"get":{"key":"txn/none","found":false}}]}""",
            again.GetRawText());
        Assert.Equal($$$"""{"key":"txn/b","value":{"n":15},"revision":{{{revision}}}}""", await node.ReadAsync("txn/b"));
    }

    [Fact]
    public async Task An_empty_transaction_succeeds_and_changes_no_key()
    {
        var before = await node.ListAsync("");

        var answer = await TxnAsync("{}");

        Assert.True(answer.GetProperty("succeeded").GetBoolean());
        Assert.Equal(0, answer.GetProperty("results").GetArrayLength());
        Assert.Equal(before, await node.ListAsync(""));
    }

    [Theory]
    [InlineData("[]", "Body must be a JSON object")]
    [InlineData("""{"compare": {}}""", "compare must be an array")]
    [InlineData("""{"then": []}""", "Unknown property 'then'")]
    [InlineData("""{"success": [], "success": []}""", "Repeated property 'success'")]
    [InlineData("""{"success": [{"put": {"key": "k"}}]}""", "success[0].put is missing \"value\"")]
    [InlineData("""{"success": [{"put": {"key": "k", "value": 1, "lease": 5}}]}""", "Unknown property 'lease' in success[0].put")]
    [InlineData("""{"success": [{"put": {"key": "", "value": 1}}]}""", "Bad key at success[0].put.key: Empty key")]
    [InlineData("""{"success": [{"get": {"key": 7}}]}""", "success[0].get.key must be a string")]
    [InlineData("""{"failure": [{"range": {"key": "k"}}]}""", "Unknown operation 'range' in failure[0]")]
    [InlineData("""{"failure": [{"get": {"key": "k"}, "put": {"key": "k", "value": 1}}]}""", "failure[0] must be one of")]
    [InlineData("""{"success": [{"put": {"key": "k", "value": 1}}, {"delete": {"key": "k"}}]}""", "Key written twice in success")]
    [InlineData("""{"compare": [{"key": "k", "target": "version", "result": "equal", "value": 1}]}""", "compare[0].target must be one of revision, value, exists")]
    [InlineData("""{"compare": [{"key": "k", "target": "revision", "result": "eq", "value": 1}]}""", "compare[0].result must be one of")]
    [InlineData("""{"compare": [{"key": "k", "target": "revision", "result": "equal", "value": -1}]}""", "compare[0].value must be a revision")]
    [InlineData("""{"compare": [{"key": "k", "target": "revision", "result": "equal", "value": "3"}]}""", "compare[0].value must be a revision")]
    [InlineData("""{"compare": [{"key": "k", "target": "exists", "result": "equal", "value": 1}]}""", "must be true or false")]
    [InlineData("""{"compare": [{"key": "k", "target": "exists", "result": "greater", "value": true}]}""", "must be equal or not_equal")]
    [InlineData("""{"compare": [{"key": "k", "target": "value", "result": "equal"}]}""", "compare[0] is missing \"value\"")]
    [InlineData("""{"success": [{"put": {"key": "k", "value": "\ud800"}}]}""", "lone surrogate")]
    [InlineData("""{"success": [""", "Malformed JSON")]
    [InlineData("""{"success": [{"get": {"key": "a"}}, {"get": {"key": "b"}}, {"get": {"key": "c"}}, {"get": {"key": "d"}}, {"get": {"key": "e"}}]}""", "Too many entries in success: send at most 4")]
    public async Task Bad_transactions_get_400_and_change_nothing(string body, string titleContains)
    {
        await RejectedAsync(body, HttpStatusCode.BadRequest, titleContains);
    }

    [Fact]
    public async Task A_value_past_Ledger_MaxValueBytes_gets_413()
    {
        await RejectedAsync($$$"""{"success": [{"put": {"key": "k", "value": "{{{new string('x', 70)}}}"}}]}""", HttpStatusCode.RequestEntityTooLarge, "Value too large at success[0].put.value");
    }

    [Fact]
    public async Task A_transaction_past_Ledger_MaxTxnBytes_gets_413_though_each_value_fits()
    {
        var puts = string.Join(",", Enumerable.Range(0, 4).Select(i => $$$"""{"put": {"key": "big/{{{i}}}", "value": "{{{new string('x', 60)}}}"}}"""));
        var compares = string.Join(",", Enumerable.Range(0, 4).Select(i => $$$"""{"key": "big/{{{i}}}", "target": "value", "result": "not_equal", "value": "{{{new string('y', 60)}}}"}"""));

        await RejectedAsync($$$"""{"compare": [{{{compares}}}], "success": [{{{puts}}}]}""", HttpStatusCode.RequestEntityTooLarge, "Transaction too large");
    }

    [Fact]
    public async Task A_body_past_the_byte_limit_gets_413_before_it_is_parsed()
    {
        await RejectedAsync($$$"""{"success": [], "padding": "{{{new string(' ', 70_000)}}}"}""", HttpStatusCode.RequestEntityTooLarge, "Body too large: send a smaller transaction");
    }

    [Fact]
    public async Task A_body_that_is_not_json_gets_415()
    {
        var before = await node.CommitIndexAsync();
        using var response = await Client.PostAsync("/v1/txn", new StringContent("{}", System.Text.Encoding.UTF8, "text/plain"));

        await ProblemAsync(response, HttpStatusCode.UnsupportedMediaType, "Content-Type: application/json");
        Assert.Equal(before, await node.CommitIndexAsync());
    }

    private async Task RejectedAsync(string body, HttpStatusCode status, string titleContains)
    {
        var before = (All: await node.ListAsync(""), Commit: await node.CommitIndexAsync());

        using (var response = await Client.PostAsync("/v1/txn", Json(body)))
            await ProblemAsync(response, status, titleContains);

        Assert.Equal(before, (await node.ListAsync(""), await node.CommitIndexAsync()));
    }
}
