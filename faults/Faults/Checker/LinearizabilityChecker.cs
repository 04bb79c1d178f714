using System.Diagnostics;
using GeoLedger.Faults.History;

namespace GeoLedger.Faults.Checker;

/// <summary>
/// Checks a history for linearizability against a register per key. Linearizability is compositional,
/// so each key is checked on its own (in parallel) and the verdicts are combined.
/// </summary>
public static class LinearizabilityChecker
{
    // CancelAfter cannot wait longer; a budget beyond it is no budget.
    private static readonly TimeSpan LongestTimer = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    /// <summary>Checks a whole history within a time budget.</summary>
    /// <param name="history">The recorded history.</param>
    /// <param name="timeout">Time budget for the whole check; <see cref="Timeout.InfiniteTimeSpan"/> for none. Keys unfinished when it runs out are Unknown.</param>
    /// <param name="cancellationToken">Stops the check early; unfinished keys are Unknown.</param>
    /// <exception cref="ArgumentException">The history breaks the format (see <see cref="HistoryValidator"/>).</exception>
    public static CheckResult Check(OperationHistory history, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        Check(history.Operations, timeout, cancellationToken);

    /// <summary>Checks operations over any number of keys within a time budget.</summary>
    /// <param name="operations">The recorded operations, in any order.</param>
    /// <param name="timeout">Time budget for the whole check; <see cref="Timeout.InfiniteTimeSpan"/> for none. Keys unfinished when it runs out are Unknown.</param>
    /// <param name="cancellationToken">Stops the check early; unfinished keys are Unknown.</param>
    /// <exception cref="ArgumentException">The operations break the format (see <see cref="HistoryValidator"/>).</exception>
    public static CheckResult Check(IReadOnlyList<Operation> operations, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var watch = Stopwatch.StartNew();
        EnsureValid(operations);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout <= TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            // An exhausted budget must stop the search before its first step, not when a timer gets round to it.
            deadline.Cancel();
        }
        else if (timeout < LongestTimer)
        {
            deadline.CancelAfter(timeout);
        }

        var keys = operations
            .GroupBy(op => op.Key, StringComparer.Ordinal)
            .OrderBy(group => group.Key, StringComparer.Ordinal)
            .Select(group => (Key: group.Key, Operations: (IReadOnlyList<Operation>)[.. group]))
            .ToArray();
        var results = new KeyCheckResult[keys.Length];
        Parallel.For(
            0,
            keys.Length,
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount },
            i => results[i] = KeyChecker.Check(keys[i].Key, keys[i].Operations, deadline.Token));

        return new CheckResult(Combine(results.Select(r => r.Verdict)), results, operations.Count, watch.Elapsed);
    }

    /// <summary>Checks one key's operations; every operation is taken to be on that key.</summary>
    /// <param name="key">The key, for the report.</param>
    /// <param name="operations">The key's operations, in any order.</param>
    /// <param name="cancellationToken">Stops the check; the verdict is then Unknown.</param>
    /// <exception cref="ArgumentException">The operations break the format (see <see cref="HistoryValidator"/>).</exception>
    public static KeyCheckResult CheckKey(string key, IReadOnlyList<Operation> operations, CancellationToken cancellationToken = default)
    {
        EnsureValid(operations);
        return KeyChecker.Check(key, operations, cancellationToken);
    }

    private static void EnsureValid(IReadOnlyList<Operation> operations)
    {
        var errors = HistoryValidator.Validate(operations);
        if (errors.Count > 0)
        {
            throw new ArgumentException(
                $"The history is malformed ({errors.Count} problems): {string.Join("; ", errors.Take(5))}",
                nameof(operations));
        }
    }

    /// <summary>A violation anywhere wins; otherwise one undecided key leaves the whole history undecided.</summary>
    internal static Verdict Combine(IEnumerable<Verdict> verdicts)
    {
        var combined = Verdict.Linearizable;
        foreach (var verdict in verdicts)
        {
            if (verdict == Verdict.NotLinearizable)
            {
                return verdict;
            }

            if (verdict == Verdict.Unknown)
            {
                combined = verdict;
            }
        }

        return combined;
    }
}
