using System.Collections.Concurrent;
using System.Diagnostics;
using GeoLedger.Faults.History;

namespace GeoLedger.Faults.Run;

/// <summary>Collects operations from concurrent clients, stamped with one monotonic clock.</summary>
public sealed class HistoryRecorder
{
    private readonly ConcurrentQueue<Operation> operations = new();
    private long nextId;

    /// <summary>Now, in monotonic nanoseconds.</summary>
    public static long NowNs() => (long)(Stopwatch.GetTimestamp() * (1_000_000_000.0 / Stopwatch.Frequency));

    /// <summary>A fresh operation id.</summary>
    public long NextId() => Interlocked.Increment(ref nextId);

    /// <summary>Records a completed (or abandoned) operation.</summary>
    public void Add(Operation operation) => operations.Enqueue(operation);

    /// <summary>Everything recorded so far, ordered by invocation.</summary>
    public IReadOnlyList<Operation> Snapshot() => operations.OrderBy(o => o.InvokeNs).ThenBy(o => o.Id).ToList();
}
