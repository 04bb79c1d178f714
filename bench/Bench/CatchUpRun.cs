using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace GeoLedger.Bench;

/// <summary>One snapshot a node wrote while the keys were written, and the writes answered while it ran.</summary>
/// <param name="Node">The node that wrote it.</param>
/// <param name="Keys">Keys in the snapshot.</param>
/// <param name="Ms">How long writing it took (the node's own measure: capture to publication).</param>
/// <param name="Writes">Writes whose request overlapped it.</param>
/// <param name="MaxWriteMs">The slowest of them (NaN: none).</param>
internal sealed record SnapshotStall(string Node, long Keys, double Ms, int Writes, double MaxWriteMs);

/// <summary>One catch-up of the empty follower.</summary>
/// <param name="Run">1-based.</param>
/// <param name="KilledAfterMs">When the follower was SIGKILLed in the middle of this catch-up (ms after its start), else null.</param>
/// <param name="TargetIndex">The leader's commit index when the follower started.</param>
/// <param name="CatchUpMs">From the follower's (first) start to its applied index reaching the target; null: not within the bound.</param>
/// <param name="MaxDataBytes">Largest size of its data folder seen (sum of file lengths, sampled every 200 ms).</param>
/// <param name="MaxOpenFiles">Most open file descriptors of its process seen.</param>
internal sealed record CatchUpAttempt(int Run, double? KilledAfterMs, long TargetIndex, double? CatchUpMs, long MaxDataBytes, int MaxOpenFiles);

/// <summary>The catch-up section: a follower down from 0 keys while N keys are written, then caught up again and again.</summary>
/// <param name="Keys">Keys written (100-byte values, 64 writers).</param>
/// <param name="Load">Those writes.</param>
/// <param name="P99WithoutSnapshotMs">p99 of the writes that overlapped no snapshot.</param>
/// <param name="Snapshots">Every snapshot written meanwhile, with the writes it overlapped.</param>
/// <param name="LiveBytes">The store's keys and values in bytes, at the end (the leader's geoledger.store.live_bytes).</param>
/// <param name="DataBoundBytes">The bound on a follower's data folder: 4x the live bytes plus two 16 MiB segments.</param>
/// <param name="BoundMs">How long a catch-up may take before it counts as failed.</param>
/// <param name="Attempts">Each catch-up.</param>
/// <param name="Problem">Why it stopped early, if it did.</param>
internal sealed record CatchUpResult(
    int Keys,
    LatencyStats Load,
    double P99WithoutSnapshotMs,
    IReadOnlyList<SnapshotStall> Snapshots,
    long LiveBytes,
    long DataBoundBytes,
    double BoundMs,
    IReadOnlyList<CatchUpAttempt> Attempts,
    string? Problem);

/// <summary>
/// Catch-up and snapshots at size, GeoLedger alone: a 3-node cluster with one follower stopped at 0
/// keys; N keys are written (snapshots happen meanwhile, and the writes overlapping each are timed);
/// then the follower is started and must reach the leader's commit index within a bound, its data
/// folder and open files sampled. Then again from an empty data folder until there were
/// <c>runs</c> catch-ups, and once more with a SIGKILL of the follower in the middle of its catch-up.
/// </summary>
internal static partial class CatchUpRun
{
    private const int Writers = 64;
    private const int ValueBytes = 100;
    private const long SegmentBytes = 16L * 1024 * 1024;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(300);

    public static async Task<CatchUpResult> RunAsync(GeoLedgerSystem system, int keys, int runs, Action<string> progress, CancellationToken token)
    {
        var snapshots = new ConcurrentQueue<(string Node, long Keys, double Ms, long End)>();
        system.OnOutput = (_, line) =>
        {
            if (SnapshotLine().Match(line) is { Success: true } m)
                snapshots.Enqueue((m.Groups[1].Value, long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture), Stopwatch.GetTimestamp()));
        };

        await system.StartAsync(token).ConfigureAwait(false);
        try
        {
            var leader = await system.LeaderAsync(token).ConfigureAwait(false);
            var follower = (leader + 1) % system.Members.Count;
            var node = system.Cluster.Nodes[follower];
            await system.KillAsync(follower).ConfigureAwait(false);
            progress($"catch-up: {node.Id} stopped at 0 keys; writing {keys:N0} keys to the leader");

            var leaderUrl = system.Members[leader];
            var value = KeySpace.Value(ValueBytes);
            long next = -1;
            var spec = new LoadSpec(Writers, TimeSpan.FromMinutes(30), _ =>
            {
                var i = Interlocked.Increment(ref next);
                return i < keys ? system.Put(leaderUrl, "catchup-" + i.ToString(CultureInfo.InvariantCulture), value) : null;
            });
            var (started, samples) = await LoadRun.RunAsync(spec, token).ConfigureAwait(false);
            var load = LatencyStats.Of(samples, started, Stopwatch.GetTimestamp());
            await Task.Delay(1000, token).ConfigureAwait(false); // a snapshot the last entries started
            var (p99Without, stalls) = Stalls(samples, snapshots.ToList());
            progress($"catch-up: {load.Ok:N0} writes at {load.OpsPerSecond:0}/s, p99 {load.P99Ms:0.0} ms, {load.Failed} failed; p99 of writes overlapping no snapshot {p99Without:0.0} ms");
            foreach (var stall in stalls)
                progress($"catch-up: snapshot on {stall.Node} with {stall.Keys:N0} keys took {stall.Ms:0} ms; {stall.Writes} writes overlapped it, slowest {stall.MaxWriteMs:0.0} ms");

            var live = await LiveBytesAsync(system, leader).ConfigureAwait(false);
            var dataBound = 4 * live + 2 * SegmentBytes;
            var attempts = new List<CatchUpAttempt>();
            string? problem = null;
            for (var run = 1; run <= runs + 1 && problem is null; run++)
            {
                var killMidway = run == runs + 1;
                if (run > 1)
                {
                    await system.KillAsync(follower).ConfigureAwait(false);
                    Directory.Delete(node.Spec.DataDirectory, recursive: true); // empty again: everything from the leader
                }

                var target = await CommitIndexAsync(system, leader).ConfigureAwait(false);
                // Half of the slowest clean catch-up so far: in the middle of it.
                double? killAt = killMidway ? attempts.Max(a => a.CatchUpMs ?? 0) / 2 : null;
                var attempt = await CatchUpAsync(system, follower, run, target, killAt, token).ConfigureAwait(false);
                attempts.Add(attempt);
                progress($"catch-up run {run}{(killMidway ? $" (SIGKILL at {attempt.KilledAfterMs:0} ms)" : "")}: index {target:N0} reached in {(attempt.CatchUpMs is { } ms ? ms.ToString("0", CultureInfo.InvariantCulture) + " ms" : $"NOT within {Bound.TotalSeconds:0} s")}; data folder max {attempt.MaxDataBytes >> 20} MiB (bound {dataBound >> 20} MiB), open files max {attempt.MaxOpenFiles}");
                if (attempt.CatchUpMs is null)
                    problem = $"run {run}: the follower did not catch up within {Bound.TotalSeconds:0} s";
            }

            return new CatchUpResult(keys, load, p99Without, stalls, live, dataBound, Bound.TotalMilliseconds, attempts, problem);
        }
        finally
        {
            system.OnOutput = null;
            await system.StopAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Starts the follower and samples it until its applied index reaches <paramref name="target"/> (SIGKILLed once at <paramref name="killAtMs"/>).</summary>
    private static async Task<CatchUpAttempt> CatchUpAsync(GeoLedgerSystem system, int follower, int run, long target, double? killAtMs, CancellationToken token)
    {
        var node = system.Cluster.Nodes[follower];
        long maxData = 0;
        var maxFiles = 0;
        double? killedAfter = null;
        var clock = Stopwatch.StartNew();
        node.Start();
        while (clock.Elapsed < Bound)
        {
            maxData = Math.Max(maxData, FolderBytes(node.Spec.DataDirectory));
            if (node.Pid is { } pid)
                maxFiles = Math.Max(maxFiles, OpenFiles(pid));
            if (killAtMs is { } at && killedAfter is null && clock.Elapsed.TotalMilliseconds >= at)
            {
                killedAfter = Math.Round(clock.Elapsed.TotalMilliseconds, 0);
                await system.KillAsync(follower).ConfigureAwait(false);
                node.Start();
            }

            if ((await system.AppliedIndexesAsync().ConfigureAwait(false))[follower] >= target)
                return new CatchUpAttempt(run, killedAfter, target, Math.Round(clock.Elapsed.TotalMilliseconds, 0), maxData, maxFiles);
            await Task.Delay(200, token).ConfigureAwait(false);
        }

        return new CatchUpAttempt(run, killedAfter, target, null, maxData, maxFiles);
    }

    /// <summary>The p99 of writes that overlapped no snapshot, and for each snapshot the writes that did.</summary>
    private static (double P99, List<SnapshotStall> Stalls) Stalls(List<Sample>[] samples, List<(string Node, long Keys, double Ms, long End)> snapshots)
    {
        var windows = snapshots.Select(s => (s.Node, s.Keys, s.Ms, Start: s.End - (long)(s.Ms * Stopwatch.Frequency / 1000), s.End)).ToList();
        var ok = samples.SelectMany(list => list).Where(s => s.Ok).ToList();
        var outside = ok.Where(s => !windows.Any(w => s.Start < w.End && s.End > w.Start)).Select(s => s.End - s.Start).Order().ToList();
        var p99 = outside.Count == 0 ? double.NaN : Math.Round(outside[Math.Clamp((int)Math.Ceiling(0.99 * outside.Count) - 1, 0, outside.Count - 1)] * 1000.0 / Stopwatch.Frequency, 3);
        var stalls = windows.Select(w =>
        {
            var during = ok.Where(s => s.Start < w.End && s.End > w.Start).Select(s => s.End - s.Start).ToList();
            return new SnapshotStall(w.Node, w.Keys, w.Ms, during.Count, during.Count == 0 ? double.NaN : Math.Round(during.Max() * 1000.0 / Stopwatch.Frequency, 3));
        }).ToList();
        return (p99, stalls);
    }

    private static async Task<long> CommitIndexAsync(GeoLedgerSystem system, int leader)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(await system.Cluster.Http.GetStringAsync(new Uri(system.Members[leader], "v1/cluster")).ConfigureAwait(false));
        return doc.RootElement.GetProperty("commitIndex").GetInt64();
    }

    private static async Task<long> LiveBytesAsync(GeoLedgerSystem system, int leader)
    {
        var text = await system.Cluster.Http.GetStringAsync(new Uri(system.Members[leader], "metrics")).ConfigureAwait(false);
        return LiveBytesLine().Match(text) is { Success: true } m ? (long)double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : -1;
    }

    private static long FolderBytes(string folder)
    {
        long total = 0;
        try
        {
            foreach (var file in new DirectoryInfo(folder).EnumerateFiles("*", SearchOption.AllDirectories))
            {
                try
                {
                    total += file.Length;
                }
                catch (FileNotFoundException)
                {
                    // deleted while walking (a compacted segment, a renamed temp file)
                }
            }
        }
        catch (DirectoryNotFoundException)
        {
        }

        return total;
    }

    private static int OpenFiles(int pid)
    {
        try
        {
            return Directory.GetFiles($"/proc/{pid}/fd").Length;
        }
        catch (Exception e) when (e is DirectoryNotFoundException or UnauthorizedAccessException or IOException)
        {
            return 0;
        }
    }

    // "[node-1] 11:00:08.615 info: ...[1204] Snapshot 0000100002-3.snap written at log index 100002 with 100000 keys in 812 ms (...)"
    [GeneratedRegex(@"^\[([^\]]+)\].*Snapshot \S+ written at log index \d+ with (\d+) keys in (\d+) ms")]
    private static partial Regex SnapshotLine();

    [GeneratedRegex(@"(?m)^geoledger_store_live_bytes(?:\{[^}]*\})? (\S+)")]
    private static partial Regex LiveBytesLine();
}
