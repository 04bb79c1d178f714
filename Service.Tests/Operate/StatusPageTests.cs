using System.Net;
using GeoLedger.Tests.Api;

namespace GeoLedger.Tests.Operate;

/// <summary>
/// The status page's files are served to anyone (they hold no data) with a strict content policy, and only the
/// members' own origins may call the API from a browser (CORS).
/// </summary>
public sealed class StatusPageTests(ReadAuthNodeFixture node) : IClassFixture<ReadAuthNodeFixture>
{
    [Fact]
    public async Task The_page_is_served_without_a_token_even_when_reads_need_one()
    {
        using var bare = await node.Client.GetAsync("/ui");
        using var page = await node.Client.GetAsync("/ui/");
        using var script = await node.Client.GetAsync("/ui/app.js");

        Assert.Equal(HttpStatusCode.MovedPermanently, bare.StatusCode);
        Assert.Equal("/ui/", bare.Headers.Location?.AbsolutePath);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<title>GeoLedger status</title>", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.StartsWith("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Contains("/v1/cluster", await script.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:5080", true)]
    [InlineData("http://attacker.example", false)]
    [InlineData("http://127.0.0.1:5081", false)]
    public async Task Only_a_members_origin_may_call_the_api_from_a_browser(string origin, bool allowed)
    {
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/v1/cluster");
        preflight.Headers.Add("Origin", origin);
        preflight.Headers.Add("Access-Control-Request-Method", "GET");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization");

        using var response = await node.Client.SendAsync(preflight);

        Assert.Equal(allowed, response.Headers.TryGetValues("Access-Control-Allow-Origin", out var values) && values.Single() == origin);
    }
}
