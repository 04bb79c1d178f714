using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using GeoLedger.Faults.Lab;
using GeoLedger.Faults.Workload;
using GeoLedger.LocalCluster;

namespace GeoLedger.Faults.Nemesis;

/// <summary>
/// Injects faults in turn, each healed before the next: leader SIGKILL and restart; leader and a
/// follower SIGKILLed within 20 ms (a majority crash); SIGSTOP past an election timeout; the largest
/// minority partitioned from the majority; the leader partitioned alone; a node restarted after the others
/// wrote past a snapshot. Partitions need the <see cref="NetworkLab"/>; each cut is probed first.
/// </summary>
public sealed class Nemesis(LocalClusterNodes cluster, NetworkLab? lab, int raftPort, Random random, WorkloadControl control, Action<string> log)
{
    private readonly HttpClient http = NodeHttp.Create(TimeSpan.FromSeconds(2), followRedirects: true, TimeSpan.FromSeconds(1));
    private readonly Stopwatch clock = Stopwatch.StartNew();

    /// <summary>The faults injected so far.</summary>
    public List<FaultRecord> Faults { get; } = [];

    /// <summary>When the last fault was healed.</summary>
    public DateTime LastHealUtc { get; private set; } = DateTime.UtcNow;

    /// <summary>Runs faults in turn until <paramref name="token"/> is cancelled; only partitions under sabotage.</summary>
    public async Task RunAsync(bool sabotage, CancellationToken token)
    {
        FaultKind[] schedule = sabotage
            ? [FaultKind.PartitionMinority]
            : [FaultKind.KillLeader, FaultKind.RemoveAndAddBack, FaultKind.PartitionMinority, FaultKind.KillLeaderAndFollower, FaultKind.PauseNode, FaultKind.PartitionLeaderAlone, FaultKind.RestartAfterSnapshot];
        if (lab is null)
            schedule = schedule.Where(k => k is not (FaultKind.PartitionMinority or FaultKind.PartitionLeaderAlone)).ToArray();
        if (schedule.Length == 0)
            throw new InvalidOperationException("no fault can be injected: partitions need network namespaces (run as root)");

        (FaultKind Kind, TimeSpan Started)? injecting = null;
        try
        {
            for (var turn = 0; !token.IsCancellationRequested; turn++)
            {
                await QuietAsync(TimeSpan.FromSeconds(3), token).ConfigureAwait(false);
                var kind = schedule[turn % schedule.Length];
                var started = clock.Elapsed;
                injecting = (kind, started);
                var detail = await InjectAsync(kind, token).ConfigureAwait(false);
                injecting = null;
                Faults.Add(new FaultRecord(kind, started, clock.Elapsed, detail));
                LastHealUtc = DateTime.UtcNow;
                log($"[nemesis] {started.TotalSeconds,6:0.0}s {kind}: {detail}");
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The run is over; the caller heals whatever is left. A member removed by a membership fault the end cut
            // short stays out (the state check lists it as left out), so say so here rather than leave it unexplained.
            if (injecting is { } cut)
                log($"[nemesis] {cut.Started.TotalSeconds,6:0.0}s {cut.Kind}: cut short by the end of the run (not counted; a member it removed stays out)");
        }
    }

    /// <summary>Undoes every fault: heals the network, resumes and restarts every node.</summary>
    public void HealAll()
    {
        control.SabotageTarget = null;
        lab?.Heal();
        foreach (var node in cluster.Nodes)
        {
            node.Resume();
            if (!node.IsRunning)
                node.Start();
        }

        LastHealUtc = DateTime.UtcNow;
    }

    private async Task<string> InjectAsync(FaultKind kind, CancellationToken token)
    {
        switch (kind)
        {
            case FaultKind.RemoveAndAddBack:
            {
                var leader = await LeaderAsync().ConfigureAwait(false);
                var victim = cluster.Nodes.Where(n => n != leader && n.IsRunning).OrderBy(_ => random.Next()).First();
                return await MembershipFault.RemoveAndAddBackEmptyAsync(cluster, victim, token).ConfigureAwait(false);
            }

            case FaultKind.KillLeader:
            {
                var leader = await LeaderAsync().ConfigureAwait(false);
                await leader.KillAsync().ConfigureAwait(false);
                await HoldAsync(TimeSpan.FromSeconds(3), token).ConfigureAwait(false);
                leader.Start();
                return $"killed leader {leader.Id}, restarted after 3 s";
            }

            case FaultKind.KillLeaderAndFollower:
            {
                // The leader and enough followers to make a majority (1 of 3 nodes, 2 of 5), all within milliseconds.
                var leader = await LeaderAsync().ConfigureAwait(false);
                var victims = new[] { leader }.Concat(cluster.Nodes.Where(n => n != leader).OrderBy(_ => random.Next()).Take(cluster.Nodes.Count / 2)).ToList();
                var watch = Stopwatch.StartNew();
                var kills = victims.Select(n => n.KillAsync()).ToList(); // each SIGKILL is sent before KillAsync first awaits
                var spreadMs = watch.Elapsed.TotalMilliseconds; // an upper bound on the time between the first and last signal
                await Task.WhenAll(kills).ConfigureAwait(false);
                await HoldAsync(TimeSpan.FromSeconds(3), token).ConfigureAwait(false);
                foreach (var node in victims)
                    node.Start();
                return $"killed leader {leader.Id} and {string.Join(", ", victims.Skip(1).Select(n => n.Id))} within {spreadMs:0.0} ms (a majority), restarted after 3 s";
            }

            case FaultKind.PauseNode:
            {
                var node = Pick(cluster.Nodes);
                var wasLeader = node == await LeaderAsync().ConfigureAwait(false);
                node.Pause();
                await HoldAsync(TimeSpan.FromSeconds(2), token).ConfigureAwait(false);
                node.Resume();
                return $"SIGSTOP {node.Id}{(wasLeader ? " (leader)" : "")} for 2 s, then SIGCONT";
            }

            case FaultKind.PartitionMinority:
            case FaultKind.PartitionLeaderAlone:
            {
                // The leader alone, or the largest minority (1 of 3, 2 of 5: then possibly the leader with a follower).
                var leader = await LeaderAsync().ConfigureAwait(false);
                var minority = kind == FaultKind.PartitionLeaderAlone
                    ? [IndexOf(leader)]
                    : Enumerable.Range(0, cluster.Nodes.Count).OrderBy(_ => random.Next()).Take((cluster.Nodes.Count - 1) / 2).ToList();
                var majority = Enumerable.Range(0, cluster.Nodes.Count).Except(minority).ToList();
                lab!.Partition([minority, majority]);
                ProbePartition(minority, majority);
                if (Sabotaging)
                    control.SabotageTarget = cluster.Nodes[minority[0]].PublicUrl;
                await HoldAsync(TimeSpan.FromSeconds(4), token).ConfigureAwait(false);
                control.SabotageTarget = null;
                lab.Heal();
                var names = string.Join("+", minority.Select(i => cluster.Nodes[i].Id + (cluster.Nodes[i] == leader ? " (leader)" : "")));
                return $"partitioned {names} from the others for 4 s (cut probed), healed";
            }

            case FaultKind.RestartAfterSnapshot:
            {
                var leader = await LeaderAsync().ConfigureAwait(false);
                var follower = Pick(cluster.Nodes.Where(n => n != leader));
                var applied = await AppliedIndexAsync(follower).ConfigureAwait(false);
                await follower.KillAsync().ConfigureAwait(false);
                var deadline = Stopwatch.StartNew();
                long snapshot;
                while ((snapshot = leader.Spec.NewestSnapshotIndex()) <= applied && deadline.Elapsed < TimeSpan.FromSeconds(30))
                    await Task.Delay(100, token).ConfigureAwait(false);
                follower.Start();
                return snapshot > applied
                    ? $"stopped {follower.Id} at index {applied}; restarted once leader {leader.Id} had a snapshot at {snapshot}"
                    : $"stopped {follower.Id} at index {applied}; leader {leader.Id} made no snapshot past it within 30 s (restarted anyway)";
            }

            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    /// <summary>Set by the runner: the sabotage run routes reads to the cut-off node.</summary>
    public bool Sabotaging { get; init; }

    private void ProbePartition(IReadOnlyList<int> minority, IReadOnlyList<int> majority)
    {
        foreach (var inside in minority)
        {
            foreach (var other in majority)
            {
                if (lab!.CanConnect(inside, other, raftPort) || lab.CanConnect(other, inside, raftPort))
                    throw new InvalidOperationException($"partition probe failed: node-{inside} and node-{other} still reach each other");
            }
        }

        if (majority.Count > 1 && !lab!.CanConnect(majority[0], majority[1], raftPort))
            throw new InvalidOperationException($"partition probe failed: the majority node-{majority[0]} cannot reach node-{majority[1]}");
    }

    private async Task QuietAsync(TimeSpan quiet, CancellationToken token)
    {
        await HoldAsync(quiet, token).ConfigureAwait(false);
        foreach (var node in cluster.Nodes)
            await node.WaitReadyAsync(http, TimeSpan.FromSeconds(60)).WaitAsync(token).ConfigureAwait(false);
    }

    private static Task HoldAsync(TimeSpan duration, CancellationToken token) => Task.Delay(duration, token); // a fault's length is the point, not a wait for a condition

    private async Task<NodeProcess> LeaderAsync()
    {
        try
        {
            return await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return Pick(cluster.Nodes);
        }
    }

    private async Task<long> AppliedIndexAsync(NodeProcess node)
    {
        var view = await http.GetFromJsonAsync<JsonElement>(new Uri(node.PublicUrl, "/v1/cluster")).ConfigureAwait(false);
        return view.GetProperty("appliedIndex").GetInt64();
    }

    private int IndexOf(NodeProcess node) => cluster.Nodes.ToList().IndexOf(node);

    private NodeProcess Pick(IEnumerable<NodeProcess> nodes)
    {
        var list = nodes.ToList();
        return list[random.Next(list.Count)];
    }
}

/// <summary>The kinds of fault.</summary>
public enum FaultKind
{
    KillLeader,
    KillLeaderAndFollower,
    PauseNode,
    PartitionMinority,
    PartitionLeaderAlone,
    RestartAfterSnapshot,
    RemoveAndAddBack,
}

/// <summary>One injected fault: when it started and ended (seconds into the run) and what happened.</summary>
public sealed record FaultRecord(FaultKind Kind, TimeSpan Start, TimeSpan End, string Detail);
