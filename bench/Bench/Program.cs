using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using GeoLedger.Bench;
using GeoLedger.LocalCluster;

// The benchmark against etcd (docs/performance.md): bench/run.sh builds Release and runs this.
if (BenchOptions.Parse(args) is not { } options)
    return 64;

var clock = Stopwatch.StartNew();
var startedUtc = DateTime.UtcNow;
var run = startedUtc.ToString("yyyyMMdd-HHmmss");
var repository = NodeBinary.RepositoryRoot();
var resultsPath = options.Out ?? Path.Combine(repository, "bench", "results", run + ".json");
var temp = Path.Combine(Path.GetTempPath(), "geoledger-bench-" + run);
var runsEtcd = Workload.All.Any(w => options.Runs(w.Id)) || options.Runs("failover") || options.Runs("geo");

void Progress(string line) => Console.WriteLine($"[{clock.Elapsed.TotalSeconds,5:0}s] {line}");

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

// SIGTERM too (a background run ignores Ctrl+C): stop the clusters and print what was measured.
using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.Cancel();
});

if (runsEtcd && !OnPath("etcd"))
{
    Console.Error.WriteLine("bench: etcd is not installed (apt-get install etcd-server); bench/run.sh installs it");
    return 69;
}

var machine = new Machine(
    Environment.ProcessorCount,
    MemoryBytes(),
    CpuModel(),
    RuntimeInformation.OSDescription,
    Environment.Version.ToString(),
    runsEtcd ? EtcdSystem.Version() : "etcd not run");
Progress($"GeoLedger node: {NodeBinary.Locate()}");
Progress($"machine: {machine.Cores} cores, {machine.MemoryBytes / (1L << 30)} GiB, {machine.Cpu}; {machine.Etcd}; data under {temp}");

DiskFloor? floor = null;
var workloads = new List<WorkloadResult>();
var failovers = new List<FailoverResult>();
var growth = new List<GrowthStep>();
CatchUpResult? catchUp = null;
GeoLedger.Bench.Geo.GeoResult? geo = null;
var notes = new List<string> { Report.GatewayNote };
var exitCode = 0;
await using var geoLedger = new GeoLedgerSystem(Path.Combine(temp, "geoledger"));
await using var etcd = new EtcdSystem(Path.Combine(temp, "etcd"));
try
{
    if (options.Runs("floor"))
    {
        await QuietAsync();
        floor = await DiskFloor.MeasureAsync(Path.Combine(temp, "floor"));
        Progress($"disk floor: 4 KiB + fdatasync {floor.AppendMs:0.00} ms appending, {floor.OverwriteMs:0.00} ms overwriting");
    }

    // Systems alternate, and the order flips every round (A B, B A, ...) so a drift of the machine
    // favours neither. Other work on a shared machine is measured too: each round is taken again
    // (up to --retries times) while either system's measurement had other processes using 0.2
    // cores or more, and for each system the least disturbed measurement is kept.
    var turn = 0;
    foreach (var workload in Workload.All.Where(w => options.Runs(w.Id)))
    {
        SystemResult? g = null, e = null;
        for (var round = 0; round <= options.Retries; round++)
        {
            foreach (var system in Order(turn++))
            {
                await QuietAsync();
                var result = await SteadyRun.RunAsync(system, workload, options, $"{run}-{workload.Id}-{round}", stop.Token);
                Progress($"{workload.Id,-13} {system.Name,-9} {result.Stats.OpsPerSecond,8:0} ops/s  p50 {result.Stats.P50Ms,7:0.00} ms  p99 {result.Stats.P99Ms,7:0.00} ms  failed {result.Stats.Failed}{(result.FailuresByStatus.Count > 0 ? " (" + string.Join(", ", result.FailuresByStatus.Select(f => $"status {f.Key}: {f.Value}")) + ")" : "")}  (cores: servers {result.Cpu.ServerCores:0.00}, client {result.Cpu.ClientCores:0.00}, other processes {result.Cpu.OtherCores:0.00})");
                if (system == geoLedger && (g is null || result.Cpu.OtherCores < g.Cpu.OtherCores))
                    g = result;
                else if (system == etcd && (e is null || result.Cpu.OtherCores < e.Cpu.OtherCores))
                    e = result;
            }

            if (Math.Max(g?.Cpu.OtherCores ?? 0, e?.Cpu.OtherCores ?? 0) < Report.BusyThreshold)
                break;
        }

        workloads.Add(new WorkloadResult(workload.Id, workload.Title, workload.Clients, workload.ValueBytes, g, e));
    }

    if (options.Runs("failover"))
    {
        var kept = new Dictionary<string, FailoverResult>();
        for (var round = 0; round <= options.Retries; round++)
        {
            foreach (var system in Order(turn++))
            {
                await QuietAsync();
                var result = await FailoverRun.RunAsync(system, options, $"{run}-failover-{round}", stop.Token);
                Progress($"failover      {system.Name,-9} next write {result.NextWriteMs:0} ms after SIGKILL, {result.Failed} failed requests, restart {result.RestartMs:0} ms  (other processes {result.Cpu.OtherCores:0.00} cores)");
                if (!kept.TryGetValue(system.Name, out var best) || result.Cpu.OtherCores < best.Cpu.OtherCores)
                    kept[system.Name] = result;
            }

            if (kept.Values.All(k => k.Cpu.OtherCores < Report.BusyThreshold))
                break;
        }

        failovers.AddRange(kept.Values);
    }

    if (options.Runs("growth") && options.Growth.Count > 0)
    {
        await QuietAsync();
        growth = await GrowthRun.RunAsync(geoLedger, options.Growth, Progress, stop.Token);
        foreach (var step in growth)
            Progress($"growth {step.Keys,9:N0} keys: RSS {string.Join("/", step.RssBytes.Select(b => b >> 20))} MiB, data {string.Join("/", step.DataBytes.Select(b => b >> 20))} MiB, {step.Snapshots.Count} snapshots, restart serving in {step.ServingMs:0} ms{(step.Problem is null ? "" : "; " + step.Problem)}");
    }

    if (options.Runs("catchup") && options.CatchUpKeys > 0)
    {
        await QuietAsync();
        catchUp = await CatchUpRun.RunAsync(geoLedger, options.CatchUpKeys, options.CatchUpRuns, Progress, stop.Token);
    }

    if (options.Runs("geo"))
    {
        await QuietAsync();
        geo = await GeoLedger.Bench.Geo.GeoRun.RunAsync(options.GeoRegions, options.GeoOps, TimeSpan.FromSeconds(options.Warmup), floor, temp, Progress, stop.Token);
        foreach (var row in geo.Rows)
            Progress($"geo {row.Id,-18} GeoLedger p50 {row.GeoLedger?.P50Ms,7:0.00} ms p99 {row.GeoLedger?.P99Ms,7:0.00} ms  etcd p50 {row.Etcd?.P50Ms,7:0.00} ms p99 {row.Etcd?.P99Ms,7:0.00} ms  goal {row.GoalMs,6:0.0} ms");
    }
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    Progress("interrupted: printing what was measured");
    exitCode = 130;
}
catch (Exception e) when (e is TimeoutException or InvalidOperationException or HttpRequestException or IOException or ArgumentException)
{
    Progress($"failed: {e.Message}");
    Console.Error.WriteLine("--- last GeoLedger output ---\n" + geoLedger.Tail(40) + "\n--- last etcd output ---\n" + etcd.Tail(40));
    exitCode = 1;
}
finally
{
    await geoLedger.StopAsync();
    await etcd.StopAsync();
    if (Directory.Exists(temp))
        Directory.Delete(temp, recursive: true);
}

var results = new Results(run, startedUtc, Math.Round(clock.Elapsed.TotalSeconds, 1), "bench/run.sh " + string.Join(' ', args), machine, options, floor, workloads, failovers, growth, catchUp, notes, geo);
Console.WriteLine();
Console.WriteLine(Report.Render(results));
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(resultsPath))!);
await File.WriteAllTextAsync(resultsPath, JsonSerializer.Serialize(results, new JsonSerializerOptions
{
    WriteIndented = true,
    PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
}));
Console.WriteLine($"results written to {resultsPath}");
return exitCode;

Task QuietAsync() => options.QuietWait > 0
    ? CpuMeter.WaitForQuietAsync([], Report.BusyThreshold, TimeSpan.FromSeconds(options.QuietWait), Progress, stop.Token)
    : Task.CompletedTask;

IKvSystem[] Order(int turn) => turn % 2 == 0 ? [geoLedger, etcd] : [etcd, geoLedger];

static bool OnPath(string tool) =>
    (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(dir => File.Exists(Path.Combine(dir, tool)));

static long MemoryBytes()
{
    var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
    return line is not null && long.TryParse(line["MemTotal:".Length..].Trim().Split(' ')[0], out var kib) ? kib * 1024 : 0;
}

static string CpuModel() =>
    File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
