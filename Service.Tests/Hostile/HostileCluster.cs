using System.Collections.Concurrent;
using System.Globalization;
using GeoLedger.LocalCluster;

namespace GeoLedger.Tests.Hostile;

/// <summary>
/// Real node processes for the hostile load tests, on a temp folder deleted afterwards. A failing test shows the
/// nodes' last lines, without .NEXT's repeated "is unavailable" (it only says that a member stopped answering).
/// </summary>
public sealed class HostileCluster : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> lines = new();
    private readonly string root = Path.Combine(Path.GetTempPath(), "geoledger-cluster-tests", Guid.NewGuid().ToString("N"));

    private HostileCluster(int count, IReadOnlyDictionary<string, string> settings, IReadOnlyList<string>? launchPrefix)
    {
        Nodes = LocalClusterNodes.Start(ClusterLayout.OnLoopback(root, count), settings, lines.Enqueue, launchPrefix: launchPrefix is null ? null : _ => launchPrefix);
    }

    /// <summary>The node processes.</summary>
    public LocalClusterNodes Nodes { get; }

    /// <summary>Starts <paramref name="count"/> nodes, each under <paramref name="launchPrefix"/> when given, and waits for a leader.</summary>
    public static async Task<(HostileCluster Cluster, NodeProcess Leader)> StartAsync(int count, IReadOnlyDictionary<string, string> settings, IReadOnlyList<string>? launchPrefix = null)
    {
        var cluster = new HostileCluster(count, settings, launchPrefix);
        try
        {
            return (cluster, await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(60)));
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs <paramref name="test"/>; a failure carries the nodes' last 60 lines.</summary>
    public async Task RunAsync(Func<Task> test)
    {
        try
        {
            await test();
        }
        catch (Exception e)
        {
            var last = lines.Where(l => !l.Contains("is unavailable", StringComparison.Ordinal)).TakeLast(60);
            throw new Xunit.Sdk.XunitException($"{e.Message}\n--- node output (last lines) ---\n{string.Join('\n', last)}\n---\n{e}");
        }
    }

    /// <summary>An integer from the environment variable <paramref name="name"/>, to run a test at a larger scale by hand; else <paramref name="fallback"/>.</summary>
    public static int Scale(string name, int fallback) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    public async ValueTask DisposeAsync()
    {
        await Nodes.DisposeAsync();
        if (Directory.Exists(root))
            Directory.Delete(root, recursive: true);
    }
}
