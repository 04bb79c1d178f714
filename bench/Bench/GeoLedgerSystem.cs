using System.Collections.Concurrent;
using System.Net;
using System.Text;
using GeoLedger.LocalCluster;

namespace GeoLedger.Bench;

/// <summary>
/// GeoLedger as shipped (no settings changed: its durability, Raft timing and snapshot interval are
/// the defaults), started through the one node launcher on a fresh temp folder.
/// </summary>
internal sealed class GeoLedgerSystem(string root) : IKvSystem
{
    private const int SigKill = 9;
    private readonly ConcurrentQueue<(DateTime At, string Line)> output = new();
    private readonly HttpClient http = NodeHttp.Create(TimeSpan.FromSeconds(10), followRedirects: false);
    private LocalClusterNodes? cluster;

    public string Name => "GeoLedger";

    /// <summary>The running cluster (the growth curve reads its nodes directly).</summary>
    public LocalClusterNodes Cluster => cluster ?? throw new InvalidOperationException("GeoLedger is not started");

    public IReadOnlyList<Uri> Members => Cluster.Nodes.Select(n => n.PublicUrl).ToList();

    public IReadOnlyList<int> Pids => Cluster.Nodes.Select(n => n.Pid).OfType<int>().ToList();

    /// <summary>Every node output line with the time it arrived.</summary>
    public IEnumerable<(DateTime At, string Line)> Output => output;

    /// <summary>Called with each node output line as it arrives.</summary>
    public Action<DateTime, string>? OnOutput { get; set; }

    public async Task StartAsync(CancellationToken token)
    {
        if (Directory.Exists(root))
            Directory.Delete(root, recursive: true);
        cluster = LocalClusterNodes.Start(ClusterLayout.OnLoopback(root, 3), output: line =>
        {
            var at = DateTime.UtcNow;
            output.Enqueue((at, line));
            while (output.Count > 20_000)
                output.TryDequeue(out _);
            OnOutput?.Invoke(at, line);
        });
        await Cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        foreach (var node in Cluster.Nodes)
            await node.WaitReadyAsync(http, TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        // A new leader takes writes once its term's first entry is committed: wait for that, so no workload starts on a 503.
        await WritableProbe.WaitAsync(this, http, () => "GeoLedger took no write within 30 s of electing a leader", token).ConfigureAwait(false);
    }

    public async Task<int> LeaderAsync(CancellationToken token)
    {
        var running = Cluster.Nodes.Where(n => n.IsRunning).ToList();
        var leader = await Cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(30), running).ConfigureAwait(false);
        return IndexOf(leader);
    }

    public KvRequest Put(Uri member, string key, string value) =>
        new(HttpMethod.Put, new Uri(member, "v1/kv/" + key), Encoding.UTF8.GetBytes("{\"value\":" + value + "}"));

    public KvRequest Get(Uri member, string key, bool linearizable) =>
        new(HttpMethod.Get, new Uri(member, "v1/kv/" + key + (linearizable ? "?consistency=linearizable" : "?consistency=local")), null);

    public async Task KillAsync(int index)
    {
        // SIGKILL at once: NodeProcess.KillAsync first walks the process tree, which takes tens of
        // milliseconds on a busy machine, and the failover clock starts before the call.
        if (Cluster.Nodes[index].Pid is { } pid)
            Signals.TrySend(pid, SigKill);
        await Cluster.Nodes[index].KillAsync().ConfigureAwait(false);
    }

    public async Task RestartAsync(int index, CancellationToken token)
    {
        var node = Cluster.Nodes[index];
        node.Start();
        await node.WaitReadyAsync(http, TimeSpan.FromSeconds(120)).ConfigureAwait(false);
    }

    /// <summary>Waits until member <paramref name="index"/> answers <c>/readyz</c> with 200.</summary>
    public Task WaitReadyAsync(int index, TimeSpan timeout) => Cluster.Nodes[index].WaitReadyAsync(http, timeout);

    /// <summary>Polls a linearizable read of <paramref name="key"/> on member <paramref name="index"/> until it answers 200.</summary>
    public async Task WaitReadableAsync(int index, string key, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var request = Get(Members[index], key, linearizable: true);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var response = await http.GetAsync(request.Uri).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK)
                    return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // not serving yet
            }

            await Task.Delay(10).ConfigureAwait(false);
        }

        throw new TimeoutException($"{Cluster.Nodes[index].Id} did not serve a linearizable read of '{key}' within {timeout.TotalSeconds:0} s");
    }

    /// <summary>The applied index each running node reports, in member order (-1 for a node not answering).</summary>
    public async Task<long[]> AppliedIndexesAsync()
    {
        var result = new long[Cluster.Nodes.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = -1;
            try
            {
                using var response = await http.GetAsync(new Uri(Members[i], "v1/cluster")).ConfigureAwait(false);
                using var doc = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync().ConfigureAwait(false));
                result[i] = doc.RootElement.GetProperty("appliedIndex").GetInt64();
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or KeyNotFoundException)
            {
            }
        }

        return result;
    }

    /// <summary>The last lines of node output, for a failure message.</summary>
    public string Tail(int lines) => string.Join('\n', output.Skip(Math.Max(0, output.Count - lines)).Select(o => o.Line));

    public async Task StopAsync()
    {
        if (cluster is not null)
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            cluster = null;
        }

        if (Directory.Exists(root))
            Directory.Delete(root, recursive: true);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        http.Dispose();
    }

    private int IndexOf(NodeProcess node) => Cluster.Nodes.ToList().IndexOf(node);

}
