using System.Net;
using System.Text;
using static GeoLedger.Tests.Api.ApiAssert;

namespace GeoLedger.Tests.Api;

/// <summary>
/// One text, one key: keys must be in Unicode NFC (others are 400, not a second key); an article id has one spelling
/// (other spellings are 404, not aliases); a body in a Content-Encoding the node does not decode is 415. Each refusal
/// changes nothing.
/// </summary>
public sealed class CanonicalInputTests(NodeFixture node) : IClassFixture<NodeFixture>
{
    private const string Nfc = "caf\u00e9";
    private const string Nfd = "cafe\u0301";

    private HttpClient Client => node.Client;

    /// <summary>A request whose target reaches the node exactly as written (Uri would turn %31 into 1).</summary>
    private static HttpRequestMessage Raw(HttpMethod method, string pathAndQuery, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, pathAndQuery) { Content = content };
        request.Headers.Add(LedgerFactory.RawTargetHeader, pathAndQuery);
        return request;
    }

    [Fact]
    public async Task A_key_not_in_nfc_is_400_on_every_route_and_nothing_is_written()
    {
        var commitIndex = await node.CommitIndexAsync();

        using (var put = await Client.PutAsync("/v1/kv/nfc/" + Uri.EscapeDataString(Nfd), Value("1")))
            await ProblemAsync(put, HttpStatusCode.BadRequest, "NFC");
        using (var get = await Client.GetAsync("/v1/kv/nfc/" + Uri.EscapeDataString(Nfd)))
            await ProblemAsync(get, HttpStatusCode.BadRequest, "NFC");
        using (var delete = await Client.DeleteAsync("/v1/kv/nfc/" + Uri.EscapeDataString(Nfd)))
            await ProblemAsync(delete, HttpStatusCode.BadRequest, "NFC");
        using (var list = await Client.GetAsync("/v1/kv?prefix=" + Uri.EscapeDataString("nfc/" + Nfd)))
            await ProblemAsync(list, HttpStatusCode.BadRequest, "NFC");

        Assert.Equal(commitIndex, await node.CommitIndexAsync());
        Assert.Equal("absent", await node.ReadAsync("nfc/" + Uri.EscapeDataString(Nfc)));
    }

    [Fact]
    public async Task The_nfc_key_is_written_and_read_as_sent()
    {
        using var put = await Client.PutAsync("/v1/kv/nfc-ok/" + Uri.EscapeDataString(Nfc), Value("2"));
        await EntryAsync(put, "nfc-ok/" + Nfc, "2");

        using var list = await Client.GetAsync("/v1/kv?prefix=" + Uri.EscapeDataString("nfc-ok/caf") + "&after=" + Uri.EscapeDataString("nfc-ok/" + Nfd));

        // A paging position need not be NFC (it may be a key stored before the rule); the NFC key sorts after the NFD text.
        var items = (await BodyAsync(list)).GetProperty("items").EnumerateArray().Select(i => i.GetProperty("key").GetString());
        Assert.Equal(["nfc-ok/" + Nfc], items);
    }

    [Theory]
    [InlineData("/0001")]
    [InlineData("/+1")]
    [InlineData("/%31")]
    [InlineData("/01")]
    public async Task Another_spelling_of_an_article_id_is_404_and_writes_nothing(string path)
    {
        using (var put = await Client.PutAsync("/1", Json("""{"state":"canonical"}""")))
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var commitIndex = await node.CommitIndexAsync();

        using (var get = await Client.SendAsync(Raw(HttpMethod.Get, path)))
            await ProblemAsync(get, HttpStatusCode.NotFound, "plain decimal");
        using (var put = await Client.SendAsync(Raw(HttpMethod.Put, path, Json("""{"state":"alias"}"""))))
            await ProblemAsync(put, HttpStatusCode.NotFound, "plain decimal");

        Assert.Equal(commitIndex, await node.CommitIndexAsync());
        Assert.Contains("\"canonical\"", await node.ReadAsync("1"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/0")]
    [InlineData("/-5")]
    [InlineData("/2147483647")]
    public async Task The_plain_decimal_spelling_is_served(string path)
    {
        using var put = await Client.SendAsync(Raw(HttpMethod.Put, path, Json("""{"state":"plain"}""")));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        using var get = await Client.SendAsync(Raw(HttpMethod.Get, path));

        Assert.Contains("\"plain\"", await get.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    [InlineData("deflate")]
    [InlineData("identity, gzip")]
    public async Task A_content_encoding_other_than_identity_is_415_and_nothing_is_stored(string encoding)
    {
        var commitIndex = await node.CommitIndexAsync();
        var body = new StringContent("{\"value\":1}", Encoding.UTF8, "application/json");
        Assert.True(body.Headers.TryAddWithoutValidation("Content-Encoding", encoding));
        var article = new StringContent("{\"state\":\"x\"}", Encoding.UTF8, "application/json");
        Assert.True(article.Headers.TryAddWithoutValidation("Content-Encoding", encoding));

        using (var put = await Client.PutAsync("/v1/kv/encoded", body))
            await ProblemAsync(put, HttpStatusCode.UnsupportedMediaType, "uncompressed");
        using (var put = await Client.PutAsync("/9", article))
            await ProblemAsync(put, HttpStatusCode.UnsupportedMediaType, "uncompressed");

        Assert.Equal(commitIndex, await node.CommitIndexAsync());
        Assert.Equal("absent", await node.ReadAsync("encoded"));
    }

    [Fact]
    public async Task Content_encoding_identity_is_the_body_as_sent()
    {
        var body = new StringContent("{\"value\":3}", Encoding.UTF8, "application/json");
        body.Headers.ContentEncoding.Add("identity");

        using var put = await Client.PutAsync("/v1/kv/identity", body);

        await EntryAsync(put, "identity", "3");
    }
}
