using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using GeoLedger.Faults.Checker;
using GeoLedger.Faults.History;
using GeoLedger.Faults.Lab;
using GeoLedger.Faults.State;
using GeoLedger.Faults.Watch;
using GeoLedger.Faults.Workload;
using GeoLedger.LocalCluster;

namespace GeoLedger.Faults.Run;

/// <summary>
/// One fault run: a cluster of node processes (each in its own network namespace when run as root),
/// clients recording a history, the nemesis, then recovery, final reads and the verdicts.
/// </summary>
public sealed class FaultRun(FaultRunOptions options, TextWriter output)
{
    private const int ClientPort = 8080;
    private const int RaftPort = 3262;
    private const string RecoveryKey = "__recovery";
    private const string WatchPrefix = "k"; // the workload's keys are k0, k1, ...; the recovery and fence keys are not under it

    /// <summary>Runs and reports; returns the process exit code (0 pass, 1 failed verdict, 2 could not run).</summary>
    public async Task<int> RunAsync()
    {
        var random = new Random(unchecked((int)options.Seed ^ (int)(options.Seed >> 32)));
        Directory.CreateDirectory(options.OutputDirectory);
        var runName = $"run-{options.Seed}";
        var nodeLogPath = Path.Combine(options.OutputDirectory, $"{runName}-nodes.log");
        var historyPath = Path.Combine(options.OutputDirectory, $"{runName}-history.json");
        var watchPath = Path.Combine(options.OutputDirectory, $"{runName}-watch.json");
        var statePath = Path.Combine(options.OutputDirectory, $"{runName}-state.json");
        var root = Path.Combine(Path.GetTempPath(), "geoledger-faults-data", runName + "-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(3)));
        Say($"fault run: seed {options.Seed}, {options.Nodes} nodes, {options.Clients} clients, {options.Keys} keys, {options.Seconds} s{(options.Sabotage ? ", SABOTAGE (stale reads recorded as linearizable, watchers dropping a change per resume)" : "")}");

        NetworkLab? lab = null;
        if (options.NoNetworkNamespaces)
            Say("network namespaces off (--no-netns): partitions are left out");
        else if (!NetworkLab.IsAvailable(out var reason))
            Say($"partitions left out: network namespaces need root with ip and nft ({reason})");
        else
            lab = NetworkLab.Create(options.Nodes, Say);

        if (options.Sabotage && lab is null)
        {
            Say("--sabotage needs partitions (network namespaces): cannot run");
            return 2;
        }

        using var cancelOnExit = RegisterCleanup(lab);
        var nodeLog = new StreamWriter(nodeLogPath, append: false, Encoding.UTF8) { AutoFlush = true };
        var logLock = new Lock();
        void NodeLine(string line)
        {
            lock (logLock)
                nodeLog.WriteLine(line);
        }

        var passed = false;
        try
        {
            var layout = lab is not null
                ? ClusterLayout.OnHosts(root, lab.Hosts, ClientPort, RaftPort)
                : ClusterLayout.OnLoopback(root, options.Nodes);
            var settings = new Dictionary<string, string>
            {
                ["Ledger:ClusterSecret"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)),
                ["Ledger:SnapshotInterval"] = "300",
                ["Ledger:WriteTimeoutMs"] = "2000",
                ["Ledger:ReadTimeoutMs"] = "2000",
                [WatchRun.ProgressSetting.Key] = WatchRun.ProgressSetting.Value,
            };
            await using var cluster = LocalClusterNodes.Start(layout, settings, NodeLine,
                launchPrefix: lab is null ? null : id => lab.LaunchPrefix(int.Parse(id["node-".Length..])));
            var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
            Say($"cluster up: {string.Join(", ", cluster.Nodes.Select(n => $"{n.Id} {n.PublicUrl}"))}; leader {leader.Id}");

            var recorder = new HistoryRecorder();
            var control = new WorkloadControl();
            var urls = cluster.Nodes.Select(n => n.PublicUrl).ToList();
            var keys = Enumerable.Range(0, options.Keys).Select(i => $"k{i}").ToList();
            var workers = Enumerable.Range(0, options.Clients)
                .Select(c => new KvWorker(c, urls, keys, recorder, new Random(random.Next()), control, options.OpsPerClientPerSecond))
                .ToList();
            var nemesis = new Nemesis.Nemesis(cluster, lab, RaftPort, new Random(random.Next()), control, Say) { Sabotaging = options.Sabotage };

            // The default retention (100,000 changes, 64 MiB per node) holds a 150 s run's changes many times over; a 410 moves a watcher to another node and is counted.
            await using var watchRun = new WatchRun(cluster.Nodes.Select(n => (n.Id, n.PublicUrl)).ToList(), WatchPrefix, options.Watchers, new Random(random.Next()), options.Sabotage);
            var watch = Stopwatch.StartNew();
            using (var running = new CancellationTokenSource(TimeSpan.FromSeconds(options.Seconds)))
            {
                var clientTasks = workers.Select(w => Task.Run(() => w.RunAsync(running.Token))).ToList();
                var nemesisTask = Task.Run(() => nemesis.RunAsync(options.Sabotage, running.Token));
                await Task.WhenAll(clientTasks.Append(nemesisTask));
            }

            nemesis.HealAll();
            var recovery = await TimeToFirstWriteAsync(urls, nemesis.LastHealUtc);
            var finalReader = new KvWorker(options.Clients, urls, keys, recorder, new Random(0), new WorkloadControl(), 1);
            var finalValues = await FinalReadsAsync(finalReader, recorder, keys);
            var history = recorder.Snapshot();
            HistoryJson.Save(historyPath, new OperationHistory { Seed = options.Seed, Operations = history });

            var watchCheck = await watchRun.FinishAsync(options.Seed, watchPath, history, finalValues);
            // Last: no client writes any more (the fence is in), so the voting members must settle on one identical state.
            var (stateCheck, states) = await new EndStateCheck(cluster.Nodes.Select(n => (n.Id, n.PublicUrl)).ToList(), WatchPrefix).RunAsync(TimeSpan.FromSeconds(60));
            new StateRecord { Seed = options.Seed, Prefix = WatchPrefix, Nodes = states, LeftOut = stateCheck.LeftOut, Problems = stateCheck.Problems }.Save(statePath);
            var answerAnomalies = workers.SelectMany(w => w.Stats.AnswerAnomalies).ToList();
            var answersChecked = workers.Sum(w => w.Stats.AnswersChecked);
            Say($"checking {history.Count} operations (time budget {options.CheckSeconds} s)...");
            var check = LinearizabilityChecker.Check(history, TimeSpan.FromSeconds(options.CheckSeconds));
            var lost = finalValues is null ? ["final reads did not complete within 60 s"] : LostWriteCheck.FindLostWrites(history, finalValues);
            var serverErrors = workers.SelectMany(w => w.Stats.ServerErrors).GroupBy(e => e.Key).ToDictionary(g => g.Key, g => g.Sum(e => e.Value));

            Say("");
            Say($"seed:               {options.Seed}");
            Say($"duration:           {watch.Elapsed.TotalSeconds:0} s");
            Say($"operations:         {history.Count} ({history.Count(o => o.Outcome == OperationOutcome.Ok)} ok, {history.Count(o => o.Outcome == OperationOutcome.Fail)} fail, {history.Count(o => o.Outcome == OperationOutcome.Unknown)} unknown outcome)");
            Say($"faults injected:    {nemesis.Faults.Count} ({string.Join(", ", nemesis.Faults.GroupBy(f => f.Kind).Select(g => $"{g.Count()} {g.Key}"))})");
            Say($"recovery:           first write {(recovery is { } r ? $"{r.TotalSeconds:0.0} s" : "NOT within 30 s")} after the last heal");
            Say($"checker:            {check.Verdict} in {check.Elapsed.TotalSeconds:0.0} s over {check.Keys.Count} keys");
            foreach (var key in check.Keys.Where(k => k.Verdict != Verdict.Linearizable))
                Say($"  {key.Key}: {key.Verdict} {key.Violation?.Describe()}");
            Say($"lost writes:        {lost.Count}");
            foreach (var line in lost.Take(20))
                Say($"  {line}");
            Say($"watch:              {watchCheck.Summary}");
            foreach (var line in watchCheck.Problems)
                Say($"  {line}");
            Say($"state check:        {stateCheck.Summary}");
            foreach (var line in stateCheck.NotConverged is null ? stateCheck.Problems : [])
                Say($"  {line}");
            Say($"write answers:      {(answerAnomalies.Count == 0 ? "PASS" : $"FAIL ({answerAnomalies.Count} anomalies)")}: {answersChecked} checked against the entry written");
            foreach (var line in answerAnomalies.Take(20))
                Say($"  {line}");
            Say($"unexpected 5xx:     {(serverErrors.Count == 0 ? "none" : string.Join(", ", serverErrors.Select(e => $"{e.Value}×{e.Key}")))}");
            Say($"resends stopped:    {workers.Sum(w => w.Stats.ResendsStopped)} (requests whose connection dropped unanswered; see SingleSendHttp)");

            if (options.Sabotage)
            {
                // The sabotage only touches reads and watchers: the state and the write answers must still be right.
                passed = check.Verdict == Verdict.NotLinearizable && !watchCheck.Passed && stateCheck.Passed && answerAnomalies.Count == 0;
                Say(check.Verdict == Verdict.NotLinearizable
                    ? "sabotage: the checker caught the stale reads (as it must)"
                    : $"sabotage: the checker did NOT see the stale reads (verdict {check.Verdict}): FAIL");
                Say(!watchCheck.Passed
                    ? "sabotage: the watch check caught the changes the watchers dropped after each resume (as it must)"
                    : "sabotage: the watch check did NOT see the dropped changes: FAIL");
                if (!stateCheck.Passed || answerAnomalies.Count > 0)
                    Say("sabotage: the state check or the write answers failed, which the sabotage does not cause: FAIL");
                Say(passed ? "sabotage: PASS" : "sabotage: FAIL");
            }
            else
            {
                passed = check.Verdict == Verdict.Linearizable && lost.Count == 0 && recovery is not null && serverErrors.Count == 0 && nemesis.Faults.Count > 0 && watchCheck.Passed
                    && stateCheck.Passed && answerAnomalies.Count == 0;
                Say(passed ? "verdict: PASS" : "verdict: FAIL");
            }

            return passed ? 0 : 1;
        }
        finally
        {
            await nodeLog.DisposeAsync();
            lab?.Dispose();
            if (passed && Directory.Exists(root))
                Directory.Delete(root, recursive: true);
            else if (Directory.Exists(root))
                Say($"node data folders kept for inspection: {root}");
            if (new RunFiles(historyPath, nodeLogPath) { WatchPath = watchPath, StatePath = statePath }.Finish(passed, options.KeepHistory) is { } kept)
                Say(kept);
        }
    }

    /// <summary>The time from the last heal to the first successful write, or null past 30 s.</summary>
    private static async Task<TimeSpan?> TimeToFirstWriteAsync(IReadOnlyList<Uri> nodes, DateTime lastHealUtc)
    {
        using var http = NodeHttp.Create(TimeSpan.FromSeconds(3), followRedirects: true, TimeSpan.FromSeconds(1));
        for (var attempt = 0; DateTime.UtcNow - lastHealUtc < TimeSpan.FromSeconds(30); attempt++)
        {
            try
            {
                using var response = await http.PutAsJsonAsync(new Uri(nodes[attempt % nodes.Count], $"/v1/kv/{RecoveryKey}"), new { value = attempt });
                if (response.StatusCode == HttpStatusCode.OK)
                    return DateTime.UtcNow - lastHealUtc;
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                // not yet
            }

            await Task.Delay(50);
        }

        return null;
    }

    /// <summary>One recorded linearizable read of every key at the end; null if they do not all succeed within 60 s.</summary>
    private static async Task<Dictionary<string, string?>?> FinalReadsAsync(KvWorker reader, HistoryRecorder recorder, IReadOnlyList<string> keys)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            while (!values.ContainsKey(key))
            {
                if (DateTime.UtcNow > deadline)
                    return null;
                await reader.ReadAsync(key, CancellationToken.None);
                var last = recorder.Snapshot().LastOrDefault(o => o.Client == reader.Client && o.Key == key);
                if (last is { Outcome: OperationOutcome.Ok })
                    values[key] = last.Result;
            }
        }

        return values;
    }

    private static IDisposable RegisterCleanup(NetworkLab? lab)
    {
        // Namespaces and the bridge outlive the process unless deleted: delete them on Ctrl+C and SIGTERM too.
        ConsoleCancelEventHandler onCancel = (_, _) => lab?.Dispose();
        EventHandler onExit = (_, _) => lab?.Dispose();
        Console.CancelKeyPress += onCancel;
        AppDomain.CurrentDomain.ProcessExit += onExit;
        return new Cleanup(() =>
        {
            Console.CancelKeyPress -= onCancel;
            AppDomain.CurrentDomain.ProcessExit -= onExit;
        });
    }

    private void Say(string line)
    {
        lock (output)
            output.WriteLine(line);
    }

    private sealed class Cleanup(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
