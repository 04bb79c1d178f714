using System.Net;
using System.Text.Json;

namespace GeoLedger.Tests.Api;

/// <summary>One ready in-process node shared by the tests of a class (each test uses keys of its own).</summary>
public class NodeFixture : IAsyncLifetime
{
    private readonly Dictionary<string, string?>? settings;

    public NodeFixture()
    {
    }

    protected NodeFixture(Dictionary<string, string?> settings) => this.settings = settings;

    public LedgerFactory Factory { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        Factory = new LedgerFactory(settings);
        Client = await Factory.CreateReadyClientAsync();
    }

    public Task DisposeAsync()
    {
        Client.Dispose();
        Factory.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>The raw JSON of the key, or "absent"; read locally so that it never waits.</summary>
    public async Task<string> ReadAsync(string escapedKey)
    {
        using var response = await Client.GetAsync($"/v1/kv/{escapedKey}?consistency=local");
        return response.StatusCode == HttpStatusCode.NotFound ? "absent" : await response.Content.ReadAsStringAsync();
    }

    /// <summary>The whole listing under <paramref name="prefix"/> as raw JSON.</summary>
    public async Task<string> ListAsync(string prefix)
    {
        using var response = await Client.GetAsync($"/v1/kv?prefix={Uri.EscapeDataString(prefix)}&limit=1000&consistency=local");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The node's commit index: unchanged when a request appended nothing to the log.</summary>
    public async Task<long> CommitIndexAsync()
    {
        using var response = await Client.GetAsync("/v1/cluster");
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("commitIndex").GetInt64();
    }
}
