using System.Net;
using System.Text.Json;
using GeoLedger.Faults.History;
using GeoLedger.LocalCluster;

namespace GeoLedger.Faults.Watch;

/// <summary>
/// The watchers of a fault run: started from revision 1 before the workload, kept streaming through every fault (and
/// moved to another node every 15 s, so that they resume everywhere), and stopped once each has reached a fence write made after the final reads; then their record is saved and checked.
/// </summary>
public sealed class WatchRun : IAsyncDisposable
{
    /// <summary>The fault run's node settings for watching: a progress event every second, so a watcher sees a fence or a stall soon.</summary>
    public static readonly KeyValuePair<string, string> ProgressSetting = new("Ledger:WatchProgressMs", "1000");

    private const string FenceKey = "__watch-fence";
    private readonly IReadOnlyList<(string Id, Uri Url)> nodes;
    private readonly string prefix;
    private readonly List<Watcher> watchers;
    private readonly List<Task> running;
    private readonly CancellationTokenSource stop = new();

    /// <summary>Starts <paramref name="count"/> watchers of <paramref name="prefix"/>, each on a node of its own choosing.</summary>
    /// <param name="nodes">Every node, by id.</param>
    /// <param name="prefix">The key prefix to watch.</param>
    /// <param name="count">How many watchers.</param>
    /// <param name="random">Picks each watcher's nodes.</param>
    /// <param name="sabotage">Watchers move to another node every 5 s (not 15 s) and lose the first change of each resumed stream: the check must fail.</param>
    public WatchRun(IReadOnlyList<(string Id, Uri Url)> nodes, string prefix, int count, Random random, bool sabotage = false)
    {
        this.nodes = nodes;
        this.prefix = prefix;
        watchers = Enumerable.Range(1, count).Select(i => new Watcher(i, nodes, prefix, new Random(random.Next()), sabotage)).ToList();
        running = watchers.Select(w => Task.Run(() => w.RunAsync(stop.Token))).ToList();
        // Resumes on every node, restarted ones included, not only when a watcher's own node fails.
        running.Add(Task.Run(() => MoveOnEveryAsync(TimeSpan.FromSeconds(sabotage ? 5 : 15), stop.Token)));
    }

    /// <summary>
    /// Writes the fence, waits (up to 60 s) until every watcher has received everything through it, moving a watcher
    /// whose node lags to another node every 10 s, stops them, saves the record to <paramref name="path"/> and checks it.
    /// </summary>
    public async Task<WatchCheckResult> FinishAsync(long seed, string path, IReadOnlyList<Operation> operations, IReadOnlyDictionary<string, string?>? finalValues)
    {
        var fence = await WriteFenceAsync().ConfigureAwait(false);
        if (fence is { } revision)
        {
            for (var round = 0; round < 6; round++)
            {
                var waits = watchers.Select(w => w.WaitReachedAsync(revision, TimeSpan.FromSeconds(10))).ToList();
                var reached = await Task.WhenAll(waits).ConfigureAwait(false);
                if (reached.All(r => r))
                    break;
                foreach (var (watcher, ok) in watchers.Zip(reached).Where(p => !p.Second))
                    watcher.MoveOn();
            }
        }

        await StopAsync().ConfigureAwait(false);
        var record = new WatchRecord
        {
            Seed = seed, Prefix = prefix, FromRevision = 1, FenceRevision = fence,
            Watchers = watchers.Select(w => w.Record()).ToList(),
        };
        record.Save(path);
        var result = WatchChecker.Check(operations, record, finalValues);
        return fence is null ? result with { Problems = [.. result.Problems, "the fence write did not succeed within 30 s: completeness not proven"] } : result;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        stop.Dispose();
    }

    private async Task MoveOnEveryAsync(TimeSpan interval, CancellationToken token)
    {
        try
        {
            while (true)
            {
                await Task.Delay(interval, token).ConfigureAwait(false); // the sabotage's pace: resumes to lose changes on
                foreach (var watcher in watchers)
                    watcher.MoveOn();
            }
        }
        catch (OperationCanceledException)
        {
            // stopped
        }
    }

    private async Task StopAsync()
    {
        if (!stop.IsCancellationRequested)
            await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(running).ConfigureAwait(false);
    }

    /// <summary>A write outside the prefix after every operation of the history: its revision is past all of theirs.</summary>
    private async Task<long?> WriteFenceAsync()
    {
        using var http = NodeHttp.Create(TimeSpan.FromSeconds(3), followRedirects: true, TimeSpan.FromSeconds(1));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        for (var attempt = 0; DateTime.UtcNow < deadline; attempt++)
        {
            try
            {
                using var content = new StringContent("{\"value\":\"fence\"}", System.Text.Encoding.UTF8, "application/json");
                using var response = await http.PutAsync(new Uri(nodes[attempt % nodes.Count].Url, $"/v1/kv/{FenceKey}"), content).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync().ConfigureAwait(false));
                    return body.RootElement.GetProperty("revision").GetInt64();
                }
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                // the next node
            }

            await Task.Delay(100).ConfigureAwait(false); // between attempts, not a wait for a condition
        }

        return null;
    }
}
