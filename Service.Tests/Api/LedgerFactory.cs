using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace GeoLedger.Tests.Api;

/// <summary>A single in-process node on a fresh data folder, deleted on dispose.</summary>
/// <remarks>Any public type of the service assembly names its entry point; <c>Program</c> would be ambiguous with the launcher's.</remarks>
public sealed class LedgerFactory : WebApplicationFactory<GeoLedger.Ledger.LedgerOptions>
{
    private readonly Dictionary<string, string?> settings;

    public LedgerFactory(Dictionary<string, string?>? settings = null)
    {
        DataDirectory = Path.Combine(Path.GetTempPath(), "geoledger-tests", Guid.NewGuid().ToString("N"));
        this.settings = new Dictionary<string, string?>(settings ?? []) { ["Ledger:DataDirectory"] = DataDirectory };
    }

    /// <summary>The node's data folder.</summary>
    public string DataDirectory { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings)
            builder.UseSetting(key, value);
    }

    /// <summary>A client whose requests wait until the node has elected itself.</summary>
    public async Task<HttpClient> CreateReadyClientAsync()
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            using var response = await client.GetAsync("/readyz", timeout.Token);
            if (response.IsSuccessStatusCode)
                return client;
            await Task.Delay(20, timeout.Token);
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && Directory.Exists(DataDirectory))
            Directory.Delete(DataDirectory, recursive: true);
    }
}
