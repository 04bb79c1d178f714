using System.Diagnostics;
using GeoLedger.Faults.History;

namespace GeoLedger.Faults.Checker;

/// <summary>
/// Wing–Gong search with Lowe's memoization, as in Porcupine, for one key: depth-first over the calls that
/// precede the earliest pending return, iterative (an explicit stack), undone by dancing links.
/// Unknown operations have no return event and may stay unlinearized: the search succeeds once every
/// definite operation is placed. Definite calls are tried before unknown ones so that configurations
/// without optional work are cached first and dominate the others.
/// </summary>
internal sealed class KeyChecker
{
    private const int TailLength = 5;
    private const int CancellationCheckMask = 1023;

    private readonly CompiledKey key;
    private readonly EventList list;
    private readonly BitSet definite;
    private readonly BitSet unknown;
    private readonly ConfigurationCache cache = new();
    private readonly List<SearchFrame> stack = [];

    // The deepest dead end seen so far, for the violation report.
    private int bestDepth = -1;
    private int bestState;
    private int bestBlocked;
    private int[] bestTail = [];

    private KeyChecker(CompiledKey key)
    {
        this.key = key;
        list = new EventList(key.Entries.Length);
        definite = new BitSet(key.DefiniteCount);
        unknown = new BitSet(key.UnknownCount);
    }

    /// <summary>Checks one key's operations; Unknown when <paramref name="cancellationToken"/> fires first.</summary>
    public static KeyCheckResult Check(string keyName, IReadOnlyList<Operation> operations, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var compiled = CompiledKey.Compile(operations);
        var checker = new KeyChecker(compiled);
        var verdict = checker.Search(cancellationToken);
        var violation = verdict == Verdict.NotLinearizable ? checker.DescribeViolation() : null;
        return new KeyCheckResult(keyName, verdict, operations.Count, compiled.Operations.Length, violation, watch.Elapsed);
    }

    private Verdict Search(CancellationToken cancellationToken)
    {
        var ops = key.Operations;
        var entries = key.Entries;
        var remaining = key.DefiniteCount;
        var state = RegisterModel.Absent;
        var entry = list.First;
        var unknownPass = false;
        long iterations = 0;

        while (remaining > 0)
        {
            if ((iterations++ & CancellationCheckMask) == 0 && cancellationToken.IsCancellationRequested)
            {
                return Verdict.Unknown;
            }

            // Every pending definite operation has its return in the list, so the scan meets one before the end.
            Debug.Assert(entry != EventList.End, "a pending return bounds the window");
            var current = entries[entry];
            if (current.IsCall)
            {
                ref readonly var op = ref ops[current.Op];
                if (op.IsUnknown == unknownPass && RegisterModel.TryStep(op, state, out var next))
                {
                    Mark(op, set: true);
                    if (cache.TryAdd(definite, next, unknown))
                    {
                        stack.Add(new SearchFrame(entry, state, unknownPass));
                        state = next;
                        list.Lift(entry, current.Return);
                        remaining -= op.IsUnknown ? 0 : 1;
                        entry = list.First;
                        unknownPass = false;
                        continue;
                    }

                    Mark(op, set: false);
                }

                entry = list.Next(entry);
                continue;
            }

            // The earliest pending return: every call that may come first has been tried in this pass.
            if (!unknownPass && key.UnknownCount > 0)
            {
                unknownPass = true;
                entry = list.First;
                continue;
            }

            RecordDeadEnd(key.DefiniteCount - remaining, state, current.Op);
            if (stack.Count == 0)
            {
                return Verdict.NotLinearizable;
            }

            var frame = stack[^1];
            stack.RemoveAt(stack.Count - 1);
            var undone = entries[frame.Entry];
            ref readonly var undoneOp = ref ops[undone.Op];
            Mark(undoneOp, set: false);
            list.Unlift(frame.Entry, undone.Return);
            remaining += undoneOp.IsUnknown ? 0 : 1;
            state = frame.PreviousState;
            unknownPass = frame.UnknownPass;
            entry = list.Next(frame.Entry);
        }

        return Verdict.Linearizable;
    }

    private void Mark(in CompiledOperation op, bool set)
    {
        var bits = op.IsUnknown ? unknown : definite;
        if (set)
        {
            bits.Set(op.Bit);
        }
        else
        {
            bits.Clear(op.Bit);
        }
    }

    private void RecordDeadEnd(int depth, int state, int blocked)
    {
        if (depth <= bestDepth)
        {
            return;
        }

        bestDepth = depth;
        bestState = state;
        bestBlocked = blocked;
        var count = Math.Min(TailLength, stack.Count);
        bestTail = new int[count];
        for (var i = 0; i < count; i++)
        {
            bestTail[i] = key.Entries[stack[stack.Count - count + i].Entry].Op;
        }
    }

    private Violation DescribeViolation() => new(
        bestDepth,
        key.DefiniteCount,
        key.ValueOf(bestState),
        key.Operations[bestBlocked].Source,
        [.. bestTail.Select(i => key.Operations[i].Source)]);
}
