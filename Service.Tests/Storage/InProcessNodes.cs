using GeoLedger.LocalCluster;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace GeoLedger.Tests.Storage;

/// <summary>
/// GeoLedger nodes hosted in the test process, one per node of a loopback layout, so a test can read
/// their logs' call counts. Disposing stops the nodes still running.
/// </summary>
internal sealed class InProcessNodes : IAsyncDisposable
{
    private readonly List<WebApplication?> apps = [];

    public IReadOnlyList<WebApplication?> Apps => apps;

    public static async Task<InProcessNodes> StartAsync(ClusterLayout layout)
    {
        var nodes = new InProcessNodes();
        try
        {
            foreach (var node in layout.Nodes)
            {
                var builder = WebApplication.CreateBuilder(["--Ledger:NodeConfig=" + node.NodeConfigPath, "--Ledger:DataDirectory=" + node.DataDirectory]);
                builder.Logging.ClearProviders();
                builder.AddLedgerNode();
                var app = builder.Build();
                await app.RestoreLedgerStateAsync();
                app.UseLedgerNode();
                await app.StartAsync();
                nodes.apps.Add(app);
            }
        }
        catch
        {
            await nodes.DisposeAsync();
            throw;
        }

        return nodes;
    }

    /// <summary>Stops node <paramref name="i"/>: its ports close, so requests to it are refused.</summary>
    public async Task StopAsync(int i)
    {
        if (apps[i] is { } app)
        {
            apps[i] = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        for (var i = 0; i < apps.Count; i++)
            await StopAsync(i);
    }
}
