using System.Net;
using System.Net.Http.Headers;
using static GeoLedger.Tests.Api.ApiAssert;

namespace GeoLedger.Tests.Api;

/// <summary>A node with no token at all: everything is open (local use).</summary>
public sealed class OpenNodeTests(NodeFixture node) : IClassFixture<NodeFixture>
{
    [Fact]
    public async Task Without_tokens_writes_need_no_authorization()
    {
        using var put = await node.Client.PutAsync("/v1/kv/open", Value("1"));
        await EntryAsync(put, "open", "1");
        using var delete = await node.Client.DeleteAsync("/v1/kv/open");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
    }

    [Fact]
    public async Task Without_tokens_any_authorization_header_is_ignored()
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, "/v1/kv/open/any") { Content = Value("2") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "whatever");

        using var response = await node.Client.SendAsync(request);

        await EntryAsync(response, "open/any", "2");
    }
}
