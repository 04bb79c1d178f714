using System.Diagnostics;

namespace GeoLedger.Bench;

/// <summary>What happened around a leader's SIGKILL under write load.</summary>
/// <param name="System">The system.</param>
/// <param name="KilledMember">Index of the killed leader.</param>
/// <param name="NextWriteMs">From the SIGKILL to the answer of the first successful write sent after it.</param>
/// <param name="Failed">Failed requests (errors, timeouts, 5xx) from the SIGKILL to the end of the load.</param>
/// <param name="FailedBeforeKill">Failed requests before the SIGKILL (should be 0).</param>
/// <param name="FailuresByStatus">Failed requests after the SIGKILL by status (0 = connection error, -1 = client timeout).</param>
/// <param name="OkAfterKill">Successful writes after the SIGKILL.</param>
/// <param name="RestartMs">From starting the killed member again to its serving.</param>
/// <param name="Cpu">CPU use from the SIGKILL to the end of the load.</param>
/// <param name="ProbeWriteMs">
/// From the SIGKILL to the first success of a probe that writes every 20 ms (1 s timeout) to a
/// surviving member: when the cluster takes writes again, whatever the load's writers wait for.
/// </param>
internal sealed record FailoverResult(string System, int KilledMember, double NextWriteMs, long Failed, long FailedBeforeKill, IReadOnlyDictionary<string, long> FailuresByStatus, long OkAfterKill, double RestartMs, CpuUse Cpu, double ProbeWriteMs);

/// <summary>
/// Workload 7: 16 writers spread over all members (a follower's 307 is followed to the leader);
/// after a failure a writer waits 50 ms and moves to the next member. The leader is SIGKILLed
/// after the warm-up, the load goes on for the failover seconds, then the member is restarted.
/// </summary>
internal static class FailoverRun
{
    private const int Clients = 16;
    private static readonly TimeSpan Backoff = TimeSpan.FromMilliseconds(50);

    public static async Task<FailoverResult> RunAsync(IKvSystem system, BenchOptions options, string run, CancellationToken token)
    {
        await system.StartAsync(token).ConfigureAwait(false);
        try
        {
            var members = system.Members;
            var value = KeySpace.Value(64);
            var spec = new LoadSpec(Clients, TimeSpan.FromSeconds(options.Warmup + options.FailoverSeconds),
                s => system.Put(members[s.Member], KeySpace.Unique(run, s.Worker, s.Seq), value), members.Count)
            {
                FollowRedirects = true,
                FailureBackoff = Backoff,
                RequestTimeout = TimeSpan.FromSeconds(5),
            };
            var load = LoadRun.RunAsync(spec, token);
            await Task.Delay(TimeSpan.FromSeconds(options.Warmup), token).ConfigureAwait(false);
            var leader = await system.LeaderAsync(token).ConfigureAwait(false);
            var cpu = CpuMeter.Start(system.Pids.Where((_, i) => i != leader).ToList());
            var killedAt = Stopwatch.GetTimestamp();
            await system.KillAsync(leader).ConfigureAwait(false);
            var probe = ProbeAsync(system, leader, run, value, TimeSpan.FromSeconds(options.FailoverSeconds), token);
            var (_, samples) = await load.ConfigureAwait(false);
            var probedAt = await probe.ConfigureAwait(false);
            var cpuUse = cpu.Stop();

            var all = samples.SelectMany(s => s).ToList();
            var firstOk = all.Where(s => s.Ok && s.Start >= killedAt).Select(s => s.End).DefaultIfEmpty(long.MaxValue).Min();
            var after = all.Where(s => s.End >= killedAt).ToList();
            var failures = after.Where(s => !s.Ok).GroupBy(s => s.Status.ToString()).ToDictionary(g => g.Key, g => (long)g.Count());

            var restartStarted = Stopwatch.GetTimestamp();
            await system.RestartAsync(leader, token).ConfigureAwait(false);
            var restartMs = Stopwatch.GetElapsedTime(restartStarted).TotalMilliseconds;

            return new FailoverResult(
                system.Name,
                leader,
                firstOk == long.MaxValue ? double.NaN : Math.Round((firstOk - killedAt) * 1000.0 / Stopwatch.Frequency, 1),
                after.LongCount(s => !s.Ok),
                all.LongCount(s => s.End < killedAt && !s.Ok),
                failures,
                after.LongCount(s => s.Ok),
                Math.Round(restartMs, 0),
                cpuUse,
                probedAt is { } p ? Math.Round((p - killedAt) * 1000.0 / Stopwatch.Frequency, 1) : double.NaN);
        }
        finally
        {
            await system.StopAsync().ConfigureAwait(false);
        }
    }

    // One writer apart from the load: a new request every 20 ms to the surviving members in turn; the time of its first success.
    private static async Task<long?> ProbeAsync(IKvSystem system, int killed, string run, string value, TimeSpan limit, CancellationToken token)
    {
        var survivors = Enumerable.Range(0, system.Members.Count).Where(i => i != killed).ToList();
        var deadline = Stopwatch.GetTimestamp() + (long)(limit.TotalSeconds * Stopwatch.Frequency);
        var pending = new List<Task<long?>>();
        for (var n = 0; Stopwatch.GetTimestamp() < deadline && n < 1000; n++)
        {
            var request = system.Put(system.Members[survivors[n % survivors.Count]], KeySpace.Unique(run + "-probe", 0, n), value);
            pending.Add(Task.Run(async () =>
            {
                // a connection of its own, so a request that hangs holds up no other probe
                using var client = new LoadClient(TimeSpan.FromSeconds(1));
                return LoadClient.IsSuccess(await client.SendAsync(request, followRedirects: true, token).ConfigureAwait(false)) ? Stopwatch.GetTimestamp() : (long?)null;
            }, token));
            if (pending.Any(t => t.IsCompleted && t.Result is not null))
                break;
            await Task.Delay(20, token).ConfigureAwait(false);
        }

        var done = await Task.WhenAll(pending).ConfigureAwait(false);
        return done.Where(t => t is not null).Min();
    }
}
