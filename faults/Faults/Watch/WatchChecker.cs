using GeoLedger.Faults.History;

namespace GeoLedger.Faults.Watch;

/// <summary>
/// Checks what the watchers received against the history. Revisions are Raft log indexes, so they are not gapless
/// under a prefix (elections, membership changes, failed compare-and-sets and other keys take indexes too); instead
/// each change names the key's previous revision, and chaining those per key proves no change was skipped. For each
/// watcher: deliveries strictly in revision order, none twice; every acknowledged write and delete under the prefix
/// delivered once (a write at the revision its answer carried); every delivered put written by a client that may have
/// written it (not one that definitely failed) and not before that client asked; the per-key chain unbroken from the
/// first revision; the replayed state equal to the final reads; and every watcher the same change at each revision.
/// </summary>
public static class WatchChecker
{
    /// <summary>Most problems listed; the count says how many more there were.</summary>
    private const int MaxProblems = 50;

    /// <summary>Checks the watch record against the operations (and the final reads, when they completed).</summary>
    public static WatchCheckResult Check(IReadOnlyList<Operation> operations, WatchRecord record, IReadOnlyDictionary<string, string?>? finalValues = null)
    {
        var problems = new List<string>();
        var watched = operations.Where(o => o.Key.StartsWith(record.Prefix, StringComparison.Ordinal)).ToList();
        foreach (var watcher in record.Watchers)
            CheckWatcher(watched, record, watcher, finalValues, problems);
        CompareWatchers(record, problems);
        if (record.Watchers.Count == 0)
            problems.Add("no watcher ran");
        if (problems.Count > MaxProblems)
            problems = [.. problems.Take(MaxProblems), $"... and {problems.Count - MaxProblems} more"];
        return new WatchCheckResult(
            record.Watchers.Count,
            record.Watchers.Sum(w => w.Deliveries.Count),
            record.Watchers.Sum(w => Math.Max(0, w.Connections.Count(c => c.Status == 200) - 1)),
            record.Watchers.Sum(w => w.Connections.Count),
            record.Watchers.Sum(w => w.Connections.Count(c => c.OldestRevision is not null || c.Status == 410)),
            problems);
    }

    private static void CheckWatcher(List<Operation> operations, WatchRecord record, WatcherRecord watcher, IReadOnlyDictionary<string, string?>? finalValues, List<string> problems)
    {
        var name = $"watcher {watcher.Id}";
        if (watcher.GaveUp is { } why)
            problems.Add($"{name} gave up at revision {watcher.Reached}: {why}");
        foreach (var anomaly in watcher.Anomalies)
            problems.Add($"{name}: {anomaly}");

        // Complete: the watcher was sent everything through the fence, a write made after every operation of the history.
        var complete = record.FenceRevision is not { } fence || watcher.Reached >= fence;
        if (!complete)
            problems.Add($"{name} reached revision {watcher.Reached}, not the fence {record.FenceRevision}: later changes were never seen");

        var unique = CheckOrder(name, record.Prefix, watcher, problems);
        CheckPuts(name, operations, watcher, unique, complete, problems);
        CheckDeletes(name, operations, unique, complete, problems);
        CheckChains(name, record, unique, problems);
        if (complete && finalValues is not null)
            CheckFinalState(name, record.Prefix, unique, finalValues, problems);
    }

    /// <summary>Strictly increasing revisions (a transaction's keys share one), no change twice; returns each change once, in revision order.</summary>
    private static List<WatchDelivery> CheckOrder(string name, string prefix, WatcherRecord watcher, List<string> problems)
    {
        var seen = new HashSet<(long, string)>();
        var last = 0L;
        foreach (var d in watcher.Deliveries)
        {
            if (!d.Key.StartsWith(prefix, StringComparison.Ordinal))
                problems.Add($"{name}: revision {d.Revision} changed '{d.Key}', outside the prefix '{prefix}'");
            if (!seen.Add((d.Revision, d.Key)))
                problems.Add($"{name}: duplicate delivery: revision {d.Revision} of '{d.Key}' again (connection {d.Connection}, {d.Node})");
            else if (d.Revision < last)
                problems.Add($"{name}: out of order: revision {d.Revision} of '{d.Key}' after revision {last} (connection {d.Connection}, {d.Node})");
            last = Math.Max(last, d.Revision);
        }

        return watcher.Deliveries.DistinctBy(d => (d.Revision, d.Key)).OrderBy(d => d.Revision).ToList();
    }

    private static void CheckPuts(string name, List<Operation> operations, WatcherRecord watcher, List<WatchDelivery> unique, bool complete, List<string> problems)
    {
        var writers = operations.Where(o => o.Kind is OperationKind.Write or OperationKind.Cas)
            .ToLookup(o => (o.Key, o.Value!));
        var delivered = new Dictionary<(string, string), WatchDelivery>();
        foreach (var d in unique.Where(d => d.Kind == WatchChangeKind.Put))
        {
            var where = $"revision {d.Revision} put '{d.Key}' = '{d.Value}'";
            if (d.Value is null)
            {
                problems.Add($"{name}: {where} without a value");
                continue;
            }

            if (!delivered.TryAdd((d.Key, d.Value), d))
            {
                problems.Add($"{name}: {where}, a value already delivered at revision {delivered[(d.Key, d.Value)].Revision}: one write applied twice");
                continue;
            }

            var candidates = writers[(d.Key, d.Value)].ToList();
            var writer = candidates.FirstOrDefault(o => o.Outcome != OperationOutcome.Fail);
            if (candidates.Count == 0)
                problems.Add($"{name}: {where}: no client wrote that value");
            else if (writer is null)
                problems.Add($"{name}: {where}: its write (op {candidates[0].Id}, {candidates[0].Kind}) definitely failed");
            else if (writer.Revision is { } acknowledged && acknowledged != d.Revision)
                problems.Add($"{name}: {where}: its write (op {writer.Id}) was acknowledged at revision {acknowledged}");
            else if (d.AtNs < writer.InvokeNs)
                problems.Add($"{name}: {where} arrived {(writer.InvokeNs - d.AtNs) / 1e6:0.0} ms before its write (op {writer.Id}) was sent");
        }

        foreach (var write in operations.Where(o => o.Kind is OperationKind.Write or OperationKind.Cas && o.Outcome == OperationOutcome.Ok))
        {
            // Past what the watcher reached, a missing write is the coverage problem already reported.
            var due = write.Revision is { } r ? r <= watcher.Reached : complete;
            if (due && !delivered.ContainsKey((write.Key, write.Value!)))
                problems.Add($"{name}: acknowledged {write.Kind.ToString().ToLowerInvariant()} of '{write.Key}' = '{write.Value}' (op {write.Id}{(write.Revision is { } rev ? $", revision {rev}" : "")}) was never delivered");
        }
    }

    /// <summary>
    /// A delete's answer carries no revision, so deletes are counted per key: at least the acknowledged ones, at most
    /// those not definitely failed, and the n-th delivered delete after at least n deletes were sent.
    /// </summary>
    private static void CheckDeletes(string name, List<Operation> operations, List<WatchDelivery> unique, bool complete, List<string> problems)
    {
        var deletesByKey = operations.Where(o => o.Kind == OperationKind.Delete).ToLookup(o => o.Key);
        var deliveredByKey = unique.Where(d => d.Kind == WatchChangeKind.Delete).ToLookup(d => d.Key);
        foreach (var key in deletesByKey.Select(g => g.Key).Union(deliveredByKey.Select(g => g.Key)))
        {
            var delivered = deliveredByKey[key].ToList();
            var acknowledged = deletesByKey[key].Count(o => o.Outcome == OperationOutcome.Ok);
            var possible = deletesByKey[key].Where(o => o.Outcome != OperationOutcome.Fail).OrderBy(o => o.InvokeNs).ToList();
            if (complete && delivered.Count < acknowledged)
                problems.Add($"{name}: '{key}' had {acknowledged} acknowledged deletes but {delivered.Count} were delivered");
            if (delivered.Count > possible.Count)
                problems.Add($"{name}: '{key}' had {delivered.Count} deletes delivered but only {possible.Count} deletes that may have happened");
            for (var i = 0; i < delivered.Count && i < possible.Count; i++)
            {
                var sentBefore = possible.Count(o => o.InvokeNs <= delivered[i].AtNs);
                if (sentBefore <= i)
                {
                    problems.Add($"{name}: revision {delivered[i].Revision} deleted '{key}' (delete {i + 1} of that key) when only {sentBefore} deletes of it had been sent");
                    break;
                }
            }
        }
    }

    /// <summary>Per key, each change's previous revision is the key's last delivered change (0 after a delete): nothing in between was skipped.</summary>
    private static void CheckChains(string name, WatchRecord record, List<WatchDelivery> unique, List<string> problems)
    {
        foreach (var key in unique.GroupBy(d => d.Key))
        {
            long? expected = record.FromRevision <= 1 ? 0 : null; // a watch from a later revision does not know the key's state before
            var exists = false;
            foreach (var d in key)
            {
                if (expected is { } e && d.PreviousRevision != e)
                {
                    problems.Add($"{name}: gap: revision {d.Revision} of '{key.Key}' follows revision {d.PreviousRevision} of it, but the last change of it delivered was {(e == 0 ? "none (absent)" : $"at revision {e}")}");
                }
                else if (expected is not null && d.Kind == WatchChangeKind.Delete && !exists)
                {
                    problems.Add($"{name}: revision {d.Revision} deleted '{key.Key}', which was absent");
                }

                exists = d.Kind == WatchChangeKind.Put;
                expected = exists ? d.Revision : 0;
            }
        }
    }

    /// <summary>Replaying the deliveries gives every key the value the final linearizable reads found.</summary>
    private static void CheckFinalState(string name, string prefix, List<WatchDelivery> unique, IReadOnlyDictionary<string, string?> finalValues, List<string> problems)
    {
        var state = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var d in unique)
            state[d.Key] = d.Kind == WatchChangeKind.Put ? d.Value : null;
        foreach (var (key, value) in finalValues.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var replayed = state.GetValueOrDefault(key);
            if (replayed != value)
                problems.Add($"{name}: '{key}' ends as {Show(replayed)} in the deliveries, but the final read found {Show(value)}");
        }
    }

    /// <summary>Every watcher got the same change at each revision both were sent.</summary>
    private static void CompareWatchers(WatchRecord record, List<string> problems)
    {
        var first = record.Watchers.FirstOrDefault();
        if (first is null)
            return;
        foreach (var other in record.Watchers.Skip(1))
        {
            var through = Math.Min(first.Reached, other.Reached);
            var a = Changes(first, through);
            var b = Changes(other, through);
            foreach (var revision in a.Keys.Union(b.Keys).Order())
            {
                var left = a.GetValueOrDefault(revision, "nothing");
                var right = b.GetValueOrDefault(revision, "nothing");
                if (left != right)
                {
                    problems.Add($"watchers {first.Id} and {other.Id} differ at revision {revision}: {left} against {right}");
                    break;
                }
            }
        }
    }

    private static Dictionary<long, string> Changes(WatcherRecord watcher, long through) =>
        watcher.Deliveries.Where(d => d.Revision <= through).DistinctBy(d => (d.Revision, d.Key)).GroupBy(d => d.Revision)
            .ToDictionary(g => g.Key, g => string.Join(", ", g.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => $"{d.Kind.ToString().ToLowerInvariant()} '{d.Key}'{(d.Value is null ? "" : $" = '{d.Value}'")}")));

    private static string Show(string? value) => value is null ? "absent" : $"'{value}'";
}
