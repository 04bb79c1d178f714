using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace GeoLedger.Bench;

/// <summary>A snapshot one node wrote, as its log line (event 1204) reports it: capture to publication (serialization, write, fsync).</summary>
internal sealed record SnapshotEvent(string Node, long Index, long? Keys, double Ms, DateTime At);

/// <summary>GeoLedger's numbers at one size of the growth curve.</summary>
/// <param name="Keys">Keys in the store.</param>
/// <param name="Load">The writes that grew it to this size (64 clients, 100-byte values).</param>
/// <param name="RssBytes">VmRSS of each node after the followers caught up.</param>
/// <param name="DataBytes">Blocks allocated under each node's data folder (du).</param>
/// <param name="DataApparentBytes">Sum of file lengths under each node's data folder (du -b).</param>
/// <param name="Snapshots">Snapshots written while growing to this size, all nodes.</param>
/// <param name="RestartedNode">The follower killed and restarted.</param>
/// <param name="RestoreMs">From its start to its "State restored from snapshot" line (null: no snapshot to restore).</param>
/// <param name="ReadyMs">From its start to <c>/readyz</c> answering 200.</param>
/// <param name="ServingMs">From its start to a linearizable GET of the last written key on it answering 200.</param>
/// <param name="RestartedRssBytes">Its VmRSS once serving again.</param>
/// <param name="LoadCpu">CPU use while the keys were written.</param>
/// <param name="CatchUpMs">From the last acknowledged write until every node had applied the same index (null: not within the limit).</param>
/// <param name="AppliedIndexes">Each node's applied index when the readings were taken.</param>
/// <param name="NodeErrors">Distinct error lines the nodes logged during the step (first few, shortened).</param>
/// <param name="Problem">Why the step stopped early, if it did.</param>
internal sealed record GrowthStep(
    int Keys,
    LatencyStats Load,
    CpuUse LoadCpu,
    long[] RssBytes,
    long[] DataBytes,
    long[] DataApparentBytes,
    IReadOnlyList<SnapshotEvent> Snapshots,
    string RestartedNode,
    double? RestoreMs,
    double? ReadyMs,
    double? ServingMs,
    long RestartedRssBytes,
    double? CatchUpMs,
    long[] AppliedIndexes,
    IReadOnlyList<string> NodeErrors,
    string? Problem);

/// <summary>
/// The growth curve, GeoLedger alone: one cluster grown step by step to each key count (100-byte
/// values, 64 writers to the leader); at each step memory, disk, snapshot time and a follower's
/// restart time.
/// </summary>
internal static partial class GrowthRun
{
    private const int Writers = 64;
    private const int ValueBytes = 100;

    public static async Task<List<GrowthStep>> RunAsync(GeoLedgerSystem system, IReadOnlyList<int> targets, Action<string> progress, CancellationToken token)
    {
        var snapshots = new ConcurrentQueue<SnapshotEvent>();
        var restored = new ConcurrentQueue<(string Node, DateTime At)>();
        var errors = new ConcurrentDictionary<string, int>();
        system.OnOutput = (at, line) =>
        {
            if (ErrorLine().Match(line) is { Success: true } error && errors.Count < 1000)
            {
                var text = error.Groups[1].Value + " " + error.Groups[2].Value;
                errors.AddOrUpdate(text.Length > 240 ? text[..240] : text, 1, (_, n) => n + 1);
            }

            if (SnapshotWrittenLine().Match(line) is { Success: true } written)
                snapshots.Enqueue(new SnapshotEvent(written.Groups[1].Value, long.Parse(written.Groups[2].Value), long.Parse(written.Groups[3].Value), double.Parse(written.Groups[4].Value), at));
            else if (RestoredLine().Match(line) is { Success: true } restore)
                restored.Enqueue((restore.Groups[1].Value, at));
        };

        await system.StartAsync(token).ConfigureAwait(false);
        try
        {
            var steps = new List<GrowthStep>();
            var value = KeySpace.Value(ValueBytes);
            long written = 0;
            foreach (var target in targets)
            {
                var leader = await system.LeaderAsync(token).ConfigureAwait(false);
                var leaderUrl = system.Members[leader];
                var before = snapshots.Count;
                progress($"growth: writing keys {written:N0}..{target:N0}");
                long next = written - 1;
                var spec = new LoadSpec(Writers, TimeSpan.FromMinutes(30), _ =>
                {
                    var i = Interlocked.Increment(ref next);
                    return i < target ? system.Put(leaderUrl, Key(i), value) : null;
                });
                var cpu = CpuMeter.Start(system.Pids);
                var (started, samples) = await LoadRun.RunAsync(spec, token).ConfigureAwait(false);
                var load = LatencyStats.Of(samples, started, Stopwatch.GetTimestamp());
                var loadCpu = cpu.Stop();
                if (load.Failed > 0)
                    progress($"growth: {load.Failed} writes failed while loading");
                written = target;
                var caughtUp = await WaitCaughtUpAsync(system, TimeSpan.FromSeconds(180), token).ConfigureAwait(false);
                var applied = await system.AppliedIndexesAsync().ConfigureAwait(false);
                await Task.Delay(500, token).ConfigureAwait(false); // let a snapshot that the last entries started finish

                var rss = system.Cluster.Nodes.Select(n => n.Pid is { } pid ? CpuMeter.ResidentBytes(pid) : 0).ToArray();
                var allocated = await Task.WhenAll(system.Cluster.Nodes.Select(n => DuAsync(n.Spec.DataDirectory, apparent: false))).ConfigureAwait(false);
                var apparent = await Task.WhenAll(system.Cluster.Nodes.Select(n => DuAsync(n.Spec.DataDirectory, apparent: true))).ConfigureAwait(false);
                var stepSnapshots = snapshots.Skip(before).ToList();
                var stepErrors = errors.OrderByDescending(e => e.Value).Take(5).Select(e => $"{e.Value}x {e.Key}").ToList();
                errors.Clear();
                string? problem = caughtUp is null ? $"not every node caught up within 180 s: applied indexes {string.Join(" / ", applied)}" : null;
                if (problem is not null)
                    progress($"growth: {problem}");

                // Restart a follower that has caught up (one that never does would never serve).
                var followerIndex = Enumerable.Range(1, system.Members.Count - 1).Select(k => (leader + k) % system.Members.Count)
                    .Cast<int?>().FirstOrDefault(i => applied[i!.Value] == applied[leader]);
                double? restoreMs = null, readyMs = null, servingMs = null;
                long restartedRss = 0;
                var restartedId = "none";
                if (followerIndex is { } fi)
                {
                    var follower = system.Cluster.Nodes[fi];
                    restartedId = follower.Id;
                    progress($"growth: {target:N0} keys written; restarting {follower.Id}");
                    await follower.KillAsync().ConfigureAwait(false);
                    var restoredBefore = restored.Count;
                    var startedAt = DateTime.UtcNow;
                    var clock = Stopwatch.StartNew();
                    follower.Start();
                    try
                    {
                        await system.WaitReadyAsync(fi, TimeSpan.FromSeconds(180)).ConfigureAwait(false);
                        readyMs = Math.Round(clock.Elapsed.TotalMilliseconds, 0);
                        await system.WaitReadableAsync(fi, Key(target - 1), TimeSpan.FromSeconds(120)).ConfigureAwait(false);
                        servingMs = Math.Round(clock.Elapsed.TotalMilliseconds, 0);
                    }
                    catch (Exception e) when (e is TimeoutException or InvalidOperationException)
                    {
                        problem = (problem is null ? "" : problem + "; ") + $"restarted {follower.Id}: {e.Message}";
                        progress($"growth: {e.Message}");
                    }

                    restoreMs = restored.Skip(restoredBefore).Where(r => r.Node == follower.Id).Select(r => (double?)Math.Round((r.At - startedAt).TotalMilliseconds, 0)).FirstOrDefault();
                    restartedRss = follower.Pid is { } p ? CpuMeter.ResidentBytes(p) : 0;
                }

                steps.Add(new GrowthStep(target, load, loadCpu, rss, allocated, apparent, stepSnapshots, restartedId,
                    restoreMs, readyMs, servingMs, restartedRss, caughtUp, applied, stepErrors, problem));
                if (problem is not null)
                {
                    progress("growth: stopping the curve here");
                    break;
                }
            }

            return steps;
        }
        finally
        {
            system.OnOutput = null;
            await system.StopAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The growth curve's keys: the same for every step, so each step adds to the last.</summary>
    public static string Key(long i) => $"grow-{i}";

    /// <summary>Milliseconds until every node reports the same applied index, or null after <paramref name="limit"/>.</summary>
    private static async Task<double?> WaitCaughtUpAsync(GeoLedgerSystem system, TimeSpan limit, CancellationToken token)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            var applied = await system.AppliedIndexesAsync().ConfigureAwait(false);
            if (applied.All(a => a >= 0 && a == applied[0]))
                return Math.Round(clock.Elapsed.TotalMilliseconds, 0);
            await Task.Delay(100, token).ConfigureAwait(false);
        }

        return null;
    }

    private static async Task<long> DuAsync(string folder, bool apparent)
    {
        var info = new ProcessStartInfo("du", apparent ? ["-sb", folder] : ["-sB1", folder]) { RedirectStandardOutput = true, UseShellExecute = false };
        info.Environment["LC_ALL"] = "C";
        using var process = Process.Start(info) ?? throw new InvalidOperationException("du did not start");
        var text = await process.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
        await process.WaitForExitAsync().ConfigureAwait(false);
        return long.TryParse(text.Split('\t')[0], out var bytes) ? bytes : -1;
    }

    [GeneratedRegex(@"^\[([^\]]+)\].*Snapshot \S+ written at log index (\d+) with (\d+) keys in (\d+) ms")]
    private static partial Regex SnapshotWrittenLine();

    [GeneratedRegex(@"^\[([^\]]+)\].*State restored from snapshot")]
    private static partial Regex RestoredLine();

    // "[node-1] 11:00:08.615 fail: Category[1] message": the node and the message, without the time.
    [GeneratedRegex(@"^(\[[^\]]+\]) [0-9:.]+ (?:warn|fail|crit): (.*)$")]
    private static partial Regex ErrorLine();
}
