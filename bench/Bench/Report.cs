using System.Globalization;
using System.Text;

namespace GeoLedger.Bench;

/// <summary>Prints a run's results as the tables docs/performance.md quotes.</summary>
internal static class Report
{
    public const string GatewayNote =
        "etcd is driven through its v3 JSON gateway (grpc-gateway): each HTTP/1.1 JSON request is translated to a gRPC call "
        + "that the same etcd process serves over a second loopback connection. That is one more hop and a JSON/protobuf "
        + "translation that etcd's native gRPC clients do not pay, so the ratios compare the two HTTP/JSON interfaces "
        + "on this machine, not the two Raft implementations.";

    /// <summary>Cores used by other processes above which a measurement is marked as disturbed.</summary>
    public const double BusyThreshold = 0.2;

    public static string Render(Results r)
    {
        var s = new StringBuilder();
        s.AppendLine($"GeoLedger vs etcd on loopback: {r.Machine.Cores} cores, {r.Machine.MemoryBytes / (1L << 30)} GiB, {r.Machine.Cpu}; {r.Machine.Kernel}; .NET {r.Machine.DotNet}; {r.Machine.Etcd}");
        s.AppendLine($"run {r.Run}: {r.Options.Seconds:0.#} s measured after {r.Options.Warmup:0.#} s warm-up per workload and system, a fresh 3-member cluster each time, one cluster running at a time, systems alternating; {r.TotalSeconds / 60:0.0} min in all");
        s.AppendLine();
        if (r.Workloads.Count > 0)
        {
            s.AppendLine("| workload | GeoLedger ops/s | p50 ms | p99 ms | etcd ops/s | p50 ms | p99 ms | GL/etcd ops/s | GL/etcd p50 | GL/etcd p99 |");
            s.AppendLine("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
            foreach (var w in r.Workloads)
            {
                var g = w.GeoLedger?.Stats;
                var e = w.Etcd?.Stats;
                var disturbed = Math.Max(w.GeoLedger?.Cpu.OtherCores ?? 0, w.Etcd?.Cpu.OtherCores ?? 0) >= BusyThreshold ? " †" : "";
                s.AppendLine($"| {w.Title}{disturbed} | {Ops(g)} | {Ms(g?.P50Ms)} | {Ms(g?.P99Ms)} | {Ops(e)} | {Ms(e?.P50Ms)} | {Ms(e?.P99Ms)} | {Ratio(g?.OpsPerSecond, e?.OpsPerSecond)} | {Ratio(g?.P50Ms, e?.P50Ms)} | {Ratio(g?.P99Ms, e?.P99Ms)} |");
            }

            s.AppendLine();
            s.AppendLine("Ratios are GeoLedger / etcd: above 1 is better for ops/s, below 1 is better for latency. Failed requests in the steady workloads: "
                + string.Join(", ", r.Workloads.Select(w => $"{w.Id} {w.GeoLedger?.Stats.Failed ?? 0}/{w.Etcd?.Stats.Failed ?? 0}")) + " (GeoLedger/etcd)."
                + (r.Workloads.Any(w => Math.Max(w.GeoLedger?.Cpu.OtherCores ?? 0, w.Etcd?.Cpu.OtherCores ?? 0) >= BusyThreshold)
                    ? $" † other processes on the machine used {BusyThreshold} cores or more during that row's measurement (see the CPU table)." : ""));
            s.AppendLine();
        }

        if (r.Failover.Count > 0)
        {
            var g = r.Failover.FirstOrDefault(f => f.System == "GeoLedger");
            var e = r.Failover.FirstOrDefault(f => f.System == "etcd");
            s.AppendLine("| leader SIGKILL under 16-client PUT load | GeoLedger | etcd | GL/etcd |");
            s.AppendLine("|---|--:|--:|--:|");
            s.AppendLine($"| SIGKILL to the next successful write sent by the 16 writers after it, ms | {Ms(g?.NextWriteMs, "0")} | {Ms(e?.NextWriteMs, "0")} | {Ratio(g?.NextWriteMs, e?.NextWriteMs)} |");
            s.AppendLine($"| SIGKILL to the first write taken by the cluster (a probe writing every 20 ms to survivors), ms | {Ms(g?.ProbeWriteMs, "0")} | {Ms(e?.ProbeWriteMs, "0")} | {Ratio(g?.ProbeWriteMs, e?.ProbeWriteMs)} |");
            s.AppendLine($"| failed requests after the SIGKILL | {g?.Failed.ToString(CultureInfo.InvariantCulture) ?? "-"} | {e?.Failed.ToString(CultureInfo.InvariantCulture) ?? "-"} | {Ratio(g?.Failed, e?.Failed)} |");
            s.AppendLine($"| failures by status (0 = connection error, -1 = 5 s client timeout) | {Kinds(g)} | {Kinds(e)} | |");
            s.AppendLine($"| successful writes in the {r.Options.FailoverSeconds:0.#} s after the SIGKILL | {g?.OkAfterKill.ToString(CultureInfo.InvariantCulture) ?? "-"} | {e?.OkAfterKill.ToString(CultureInfo.InvariantCulture) ?? "-"} | {Ratio(g?.OkAfterKill, e?.OkAfterKill)} |");
            s.AppendLine($"| killed member restarted to serving, ms | {Ms(g?.RestartMs, "0")} | {Ms(e?.RestartMs, "0")} | |");
            s.AppendLine($"| cores used by other processes meanwhile | {Cores(g?.Cpu.OtherCores)} | {Cores(e?.Cpu.OtherCores)} | |");
            s.AppendLine();
            s.AppendLine("Writers are spread over all three members (GeoLedger: a follower's 307 is followed to the leader); after a failed request a writer waits 50 ms and moves to the next member.");
            s.AppendLine();
        }

        if (r.Floor is { } floor)
        {
            var put1 = r.Workloads.FirstOrDefault(w => w.Id == "put-1");
            s.Append($"Disk floor (dd bs=4k oflag=dsync, {floor.Writes} writes, same file system as the data): {floor.AppendMs:0.00} ms per write appending, {floor.OverwriteMs:0.00} ms overwriting allocated blocks.");
            if (put1?.GeoLedger is { } g1)
                s.Append($" Single-client PUT p50: GeoLedger {g1.Stats.P50Ms:0.00} ms = {g1.Stats.P50Ms / floor.AppendMs:0.0}x the appending floor ({g1.Stats.P50Ms / floor.OverwriteMs:0.0}x overwriting)");
            if (put1?.Etcd is { } e1)
                s.Append($"; etcd {e1.Stats.P50Ms:0.00} ms = {e1.Stats.P50Ms / floor.AppendMs:0.0}x ({e1.Stats.P50Ms / floor.OverwriteMs:0.0}x)");
            s.AppendLine(".");
            s.AppendLine();
        }

        if (r.Growth.Count > 0)
        {
            s.AppendLine("| GeoLedger growth (100-byte values) | load ops/s (other processes, cores) | load p99 / max ms | followers caught up after, ms | RSS per node MiB | data folder per node MiB | snapshots written (all nodes) | slowest snapshot | restarted follower: restore / ready / serving ms |");
            s.AppendLine("|---|--:|--:|--:|--:|--:|--:|--:|--:|");
            foreach (var step in r.Growth)
            {
                var slowest = step.Snapshots.OrderByDescending(x => x.Ms).FirstOrDefault();
                var slowestText = slowest is null ? "none" : $"{slowest.Ms:0} ms ({(slowest.Keys is { } k ? k.ToString("N0", CultureInfo.InvariantCulture) : "?")} keys)";
                s.AppendLine($"| {step.Keys.ToString("N0", CultureInfo.InvariantCulture)} keys | {step.Load.OpsPerSecond:0} ({step.LoadCpu.OtherCores:0.00}) | {step.Load.P99Ms:0} / {step.Load.MaxMs:0} | {(step.CatchUpMs is { } c ? c.ToString("0", CultureInfo.InvariantCulture) : "not in 180 s")} | {string.Join(" / ", step.RssBytes.Select(Mib))} | {string.Join(" / ", step.DataBytes.Select(Mib))} | {step.Snapshots.Count} | {slowestText} | {(step.RestoreMs is { } rm ? rm.ToString("0", CultureInfo.InvariantCulture) : "-")} / {Ms(step.ReadyMs, "0")} / {Ms(step.ServingMs, "0")} |");
            }

            s.AppendLine();
            foreach (var step in r.Growth.Where(x => x.Problem is not null))
            {
                s.AppendLine($"Growth stopped at {step.Keys:N0} keys: {step.Problem}. Node errors in that step:");
                foreach (var error in step.NodeErrors)
                    s.AppendLine("    " + error);
                s.AppendLine();
            }

            s.AppendLine("Snapshot time: as the node logs it (event 1204: capture of the store, serialization, write, fsync; applying goes on meanwhile); GeoLedger snapshots every 100,000 log entries by default, so a step with fewer entries since the last one writes none. Restart: SIGKILL of a follower, then from its process start.");
            s.AppendLine();
        }

        if (r.CatchUp is { } up)
        {
            s.AppendLine($"Catch-up: {up.Keys:N0} keys (100-byte values, 64 writers: {up.Load.OpsPerSecond:0}/s, p99 {up.Load.P99Ms:0.0} ms, max {up.Load.MaxMs:0.0} ms, {up.Load.Failed} failed) written while one follower was down from 0 keys. Live data {up.LiveBytes >> 20} MiB; data folder bound 4x live + 2 segments = {up.DataBoundBytes >> 20} MiB; catch-up bound {up.BoundMs / 1000:0} s.");
            s.AppendLine();
            s.AppendLine("| catch-up run | target index | caught up after, ms | data folder max MiB | open files max |");
            s.AppendLine("|---|--:|--:|--:|--:|");
            foreach (var a in up.Attempts)
                s.AppendLine($"| {a.Run}{(a.KilledAfterMs is { } k ? $" (SIGKILL at {k:0} ms)" : "")} | {a.TargetIndex:N0} | {(a.CatchUpMs is { } ms ? ms.ToString("0", CultureInfo.InvariantCulture) : "NOT within the bound")} | {a.MaxDataBytes >> 20} | {a.MaxOpenFiles} |");
            s.AppendLine();
            s.AppendLine($"Snapshots while writing (p99 of writes overlapping none: {up.P99WithoutSnapshotMs:0.0} ms):");
            s.AppendLine();
            s.AppendLine("| node | keys | snapshot ms | writes overlapping | slowest of them, ms | over that p99 by, ms |");
            s.AppendLine("|---|--:|--:|--:|--:|--:|");
            foreach (var x in up.Snapshots)
                s.AppendLine($"| {x.Node} | {x.Keys:N0} | {x.Ms:0} | {x.Writes} | {x.MaxWriteMs:0.0} | {x.MaxWriteMs - up.P99WithoutSnapshotMs:0.0} |");
            if (up.Problem is not null)
                s.AppendLine($"\nCatch-up stopped: {up.Problem}");
            s.AppendLine();
        }

        if (r.Workloads.Count > 0)
        {
            s.AppendLine("| CPU during the measurement (cores busy, of " + r.Machine.Cores + ") | GeoLedger nodes | server CPU ms per request | load client | other processes | etcd members | server CPU ms per request | load client | other processes |");
            s.AppendLine("|---|--:|--:|--:|--:|--:|--:|--:|--:|");
            foreach (var w in r.Workloads)
                s.AppendLine($"| {w.Id} | {Cores(w.GeoLedger?.Cpu.ServerCores)} | {PerRequest(w.GeoLedger)} | {Cores(w.GeoLedger?.Cpu.ClientCores)} | {Cores(w.GeoLedger?.Cpu.OtherCores)} | {Cores(w.Etcd?.Cpu.ServerCores)} | {PerRequest(w.Etcd)} | {Cores(w.Etcd?.Cpu.ClientCores)} | {Cores(w.Etcd?.Cpu.OtherCores)} |");
            s.AppendLine();
        }

        if (r.Geo is { } geo)
        {
            s.AppendLine($"Geo: {string.Join(", ", geo.Regions)}, one member each, every peer link and client connection delayed by half the region pair's median round trip (Infra/Plan/RegionRtt.cs): {string.Join("; ", geo.Links)}. Leader in {geo.LeaderRegion} (etcd's moved there), nearest majority {geo.NearestMajorityRttMs} ms away; far client and follower in {geo.ClientRegion}; fsync {geo.FsyncMs:0.00} ms (disk floor, overwriting); {geo.Ops} requests per row, one sequential client.");
            s.AppendLine();
            s.AppendLine("| geo row | goal ms | GeoLedger p50 ms | p99 ms | failed | etcd p50 ms | p99 ms | failed | GL/etcd p50 |");
            s.AppendLine("|---|--:|--:|--:|--:|--:|--:|--:|--:|");
            foreach (var row in geo.Rows)
            {
                var g = row.GeoLedger;
                var e = row.Etcd;
                s.AppendLine($"| {row.Title} | {Ms(row.GoalMs, "0.0")} | {(g is null ? "skipped" : Ms(g.P50Ms))} | {Ms(g?.P99Ms)} | {Failed(g)} | {Ms(e?.P50Ms)} | {Ms(e?.P99Ms)} | {Failed(e)} | {Ratio(g?.P50Ms, e?.P50Ms)} |");
            }

            s.AppendLine();
            s.AppendLine("Goals (issue 14): write p50 within 10% of the RTT to the nearest majority + fsync (plus the client's own round trip to the leader), minRevision read p50 < 2 ms, GeoLedger <= etcd on every row. "
                + string.Join(" ", geo.Rows.Select(x => $"{x.Id}: {x.GoalText}.")));
            s.AppendLine("etcd has no read that waits for a revision: its serializable read at the write's revision answers an error while the member has not applied it yet (counted as failed), so a client has to retry it.");
            foreach (var note in geo.Notes)
                s.AppendLine("Geo note: " + note);
            s.AppendLine();
        }

        foreach (var note in r.Notes)
            s.AppendLine("Note: " + note);
        return s.ToString();
    }

    private static string Failed(Geo.GeoStats? stats) =>
        stats is null ? "-" : stats.Failed == 0 ? "0" : $"{stats.Failed} ({string.Join(", ", stats.FailuresByStatus.Select(f => $"{f.Key}: {f.Value}"))})";

    private static string Ops(LatencyStats? stats) => stats is null ? "-" : stats.OpsPerSecond.ToString("0", CultureInfo.InvariantCulture);

    private static string Ms(double? ms, string format = "0.00") => ms is { } v && !double.IsNaN(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "-";

    private static string Ratio(double? a, double? b) =>
        a is { } x && b is { } y && !double.IsNaN(x) && !double.IsNaN(y) && y > 0 ? (x / y).ToString("0.00", CultureInfo.InvariantCulture) : "-";

    private static string Cores(double? c) => c is { } v ? v.ToString("0.00", CultureInfo.InvariantCulture) : "-";

    // All three members' CPU time divided by the requests served: what one request costs the cluster.
    private static string PerRequest(SystemResult? result) =>
        result is { Stats.OpsPerSecond: > 0 } x ? (x.Cpu.ServerCores * 1000 / x.Stats.OpsPerSecond).ToString("0.00", CultureInfo.InvariantCulture) : "-";

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("0", CultureInfo.InvariantCulture);

    private static string Kinds(FailoverResult? f) =>
        f is null || f.FailuresByStatus.Count == 0 ? "none" : string.Join(", ", f.FailuresByStatus.OrderBy(k => k.Key).Select(k => $"{k.Key}: {k.Value}"));
}
