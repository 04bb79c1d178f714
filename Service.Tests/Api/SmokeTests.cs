using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace GeoLedger.Tests.Api;

public sealed class SmokeTests
{
    [Fact]
    public async Task Put_then_get_returns_the_value_with_its_revision_as_etag()
    {
        using var factory = new LedgerFactory();
        var client = await factory.CreateReadyClientAsync();

        using var put = await client.PutAsync("/v1/kv/a", JsonContent.Create(new { value = new { n = 42 } }));
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        using var get = await client.GetAsync("/v1/kv/a");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        var body = JsonDocument.Parse(await get.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(42, body.GetProperty("value").GetProperty("n").GetInt32());
        Assert.Equal($"\"{body.GetProperty("revision").GetInt64()}\"", get.Headers.ETag?.Tag);
    }
}
