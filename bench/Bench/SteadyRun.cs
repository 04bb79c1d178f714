using System.Diagnostics;

namespace GeoLedger.Bench;

/// <summary>One system's numbers for one workload; failures counted by status (0 = connection error, -1 = client timeout).</summary>
internal sealed record SystemResult(string System, LatencyStats Stats, CpuUse Cpu, long PreloadFailed, IReadOnlyDictionary<string, long> FailuresByStatus);

/// <summary>Runs a steady workload on a fresh cluster of one system: preload, warm up, measure, stop.</summary>
internal static class SteadyRun
{
    public static async Task<SystemResult> RunAsync(IKvSystem system, Workload workload, BenchOptions options, string run, CancellationToken token)
    {
        await system.StartAsync(token).ConfigureAwait(false);
        try
        {
            var members = system.Members;
            var leader = await system.LeaderAsync(token).ConfigureAwait(false);
            var follower = (leader + 1) % members.Count;
            var value = KeySpace.Value(workload.ValueBytes);
            var preloadFailed = workload.NeedsPreload ? await PreloadAsync(system, members[leader], run, options.Preload, value, token).ConfigureAwait(false) : 0;

            Func<WorkerState, KvRequest?> next = workload.Kind switch
            {
                WorkloadKind.Put => s => system.Put(members[leader], KeySpace.Unique(run, s.Worker, s.Seq), value),
                WorkloadKind.LinearizableGet => s => system.Get(members[follower], KeySpace.ReadKey(run, s, options.Preload), linearizable: true),
                WorkloadKind.LocalGet => s => system.Get(members[follower], KeySpace.ReadKey(run, s, options.Preload), linearizable: false),
                WorkloadKind.Mixed => s => s.Seq % 10 == 9
                    ? system.Put(members[leader], KeySpace.Unique(run, s.Worker, s.Seq), value)
                    : system.Get(members[s.Worker % members.Count], KeySpace.ReadKey(run, s, options.Preload), linearizable: true),
                _ => throw new ArgumentOutOfRangeException(nameof(workload)),
            };
            // A leader change mid-run (an election under CPU pressure) must not turn into failed requests: follow the 307.
            var spec = new LoadSpec(workload.Clients, TimeSpan.FromSeconds(options.Warmup + options.Seconds), next) { FollowRedirects = true };
            var load = LoadRun.RunAsync(spec, token);
            await Task.Delay(TimeSpan.FromSeconds(options.Warmup), token).ConfigureAwait(false);
            var from = Stopwatch.GetTimestamp();
            var cpu = CpuMeter.Start(system.Pids);
            await Task.Delay(TimeSpan.FromSeconds(options.Seconds), token).ConfigureAwait(false);
            var to = Stopwatch.GetTimestamp();
            var cpuUse = cpu.Stop();
            var (_, samples) = await load.ConfigureAwait(false);
            var failures = samples.SelectMany(list => list).Where(x => !x.Ok && x.End >= from && x.End < to)
                .GroupBy(x => x.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToDictionary(g => g.Key, g => (long)g.Count());
            return new SystemResult(system.Name, LatencyStats.Of(samples, from, to), cpuUse, preloadFailed, failures);
        }
        finally
        {
            await system.StopAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Writes the keys the read workloads ask for (16 clients, to the leader); returns how many failed.</summary>
    public static async Task<long> PreloadAsync(IKvSystem system, Uri leader, string run, int count, string value, CancellationToken token)
    {
        long next = -1;
        var spec = new LoadSpec(16, TimeSpan.FromSeconds(120), _ =>
        {
            var i = Interlocked.Increment(ref next);
            return i < count ? system.Put(leader, KeySpace.Preloaded(run, i), value) : null;
        });
        var (_, samples) = await LoadRun.RunAsync(spec, token).ConfigureAwait(false);
        return samples.Sum(list => list.Count(s => !s.Ok));
    }
}
