using System.Diagnostics;
using GeoLedger.Faults.History;

namespace GeoLedger.Faults.Checker;

/// <summary>
/// Wing–Gong search with Lowe's memoization, as in Porcupine, for one key: depth-first over the calls that
/// precede the earliest pending return, iterative (an explicit stack), undone by dancing links.
/// Each configuration is scanned in passes (<see cref="ScanPass"/>): an observation that fits is placed without
/// branching; then the operation that must go first or what lets it go (just in time); then every definite
/// operation; then unknown operations. Unknown operations have no return event and may stay unlinearized: the
/// search succeeds once every definite operation is placed. See <see cref="Check"/> for the relaxed first search.
/// </summary>
internal sealed class KeyChecker
{
    /// <summary>What a violation report shows for the value a wildcard step left in the key.</summary>
    internal const string WildcardValue = "<the value of some unknown operation>";

    private const int TailLength = 5;
    private const int CancellationCheckMask = 1023;

    // The entry of a wildcard frame, which lifts nothing; and the wildcard pass's entry before it is tried.
    private const int NoEntry = -1;
    private const int WildcardUntried = 0;

    /// <summary>Configurations one key may cache (a few hundred bytes each) before its verdict is Unknown.</summary>
    internal const int MaxConfigurations = 8_000_000;

    private readonly CompiledKey key;
    private readonly CompiledOperation[] ops;
    private readonly EventEntry[] entries;
    private readonly EventList definiteList;
    private readonly EventList unknownList;
    private readonly BitSet definite;
    private readonly BitSet unknown;
    private readonly ConfigurationCache cache;
    private readonly EnablingStates enabling;
    private readonly List<SearchFrame> stack = [];
    private readonly bool relaxed;

    // The deepest dead end seen so far, for the violation report.
    private int bestDepth = -1;
    private string? bestState;
    private int bestBlocked;
    private int[] bestTail = [];
    private string? unknownReason;

    private KeyChecker(CompiledKey key, bool relaxed, ConfigurationCache cache)
    {
        this.key = key;
        this.relaxed = relaxed;
        this.cache = cache;
        ops = key.Operations;
        entries = key.Entries;
        var all = Enumerable.Range(0, entries.Length);
        definiteList = new EventList(entries.Length, [.. all.Where(i => !ops[entries[i].Op].IsUnknown)]);
        unknownList = new EventList(entries.Length, [.. all.Where(i => ops[entries[i].Op].IsUnknown)]);
        definite = new BitSet(key.DefiniteCount);
        unknown = new BitSet(key.UnknownCount);
        enabling = new EnablingStates(key.ValueCount);
    }

    /// <summary>Checks one key's operations; Unknown when <paramref name="cancellationToken"/> fires first.</summary>
    /// <remarks>
    /// First a relaxed search: an unknown cas goes like a write, whatever the key holds, and a wildcard step
    /// (some unknown operation, not used up) may give the key a value nobody reads, for a delete or a rejected
    /// cas; unknown operations themselves go only where their exact value is needed. It allows more than the
    /// register does (any linearization maps to one where the unknown operation goes later, where its own value
    /// is needed), so a violation it finds is real, and it finds one fast because those uses no longer multiply
    /// the configurations. When its linearization needed the relaxation, the exact search decides, starting
    /// from every configuration the relaxed one refuted: none of them, nor any it dominates, can succeed.
    /// </remarks>
    public static KeyCheckResult Check(string keyName, IReadOnlyList<Operation> operations, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var compiled = CompiledKey.Compile(operations);
        var checker = new KeyChecker(compiled, relaxed: compiled.UnknownCount > 0, new ConfigurationCache());
        var verdict = checker.Search(cancellationToken);
        if (verdict == Verdict.Linearizable && checker.relaxed && !checker.WitnessIsExact())
        {
            checker = new KeyChecker(compiled, relaxed: false, checker.DeadConfigurations());
            verdict = checker.Search(cancellationToken);
        }

        var violation = verdict == Verdict.NotLinearizable ? checker.DescribeViolation() : null;
        return new KeyCheckResult(
            keyName, verdict, operations.Count, compiled.Operations.Length, violation, watch.Elapsed, checker.unknownReason);
    }

    private Verdict Search(CancellationToken cancellationToken)
    {
        var remaining = key.DefiniteCount;
        var state = RegisterModel.Absent;
        var pass = ScanPass.Observe;
        var entry = definiteList.First;
        var blocked = -1;
        long windowEnd = 0;
        var lastPass = relaxed ? ScanPass.Wildcard : key.UnknownCount > 0 ? ScanPass.Unknown : ScanPass.Change;
        long iterations = 0;

        while (remaining > 0)
        {
            if ((iterations++ & CancellationCheckMask) == 0 && (cancellationToken.IsCancellationRequested || cache.Count > MaxConfigurations))
            {
                unknownReason = cancellationToken.IsCancellationRequested
                    ? "the time budget ran out"
                    : $"the search outgrew {MaxConfigurations} configurations";
                return Verdict.Unknown;
            }

            if (pass == ScanPass.Wildcard)
            {
                // Tried once per configuration: entry is End once it has been.
                if (entry == WildcardUntried && WildcardFits(state, windowEnd))
                {
                    stack.Add(new SearchFrame(NoEntry, state, pass, blocked, null));
                    state = RegisterModel.Unobserved;
                    pass = ScanPass.Observe;
                    entry = definiteList.First;
                    continue;
                }

                RecordDeadEnd(key.DefiniteCount - remaining, blocked);
            }
            else if (InWindow(pass, entry, windowEnd))
            {
                var index = entries[entry].Op;
                if (!IsCandidate(index, pass, state, blocked, out var next) || !FollowsUnknown(index))
                {
                    entry = ListOf(pass).Next(entry);
                    continue;
                }

                ref readonly var op = ref ops[index];
                Mark(op, set: true);

                // A configuration right after an unknown operation is explored only for what that enabled, so it
                // is not cached as a full one; the configurations after the enabled operations are.
                var cached = op.IsUnknown ? null : cache.TryAdd(definite, next, unknown);
                if (op.IsUnknown || cached is not null)
                {
                    stack.Add(new SearchFrame(entry, state, pass, blocked, cached));
                    ListOf(pass).Lift(entry, entries[entry].Return);
                    remaining -= op.IsUnknown ? 0 : 1;
                    state = next;
                    pass = ScanPass.Observe;
                    entry = definiteList.First;
                    continue;
                }

                Mark(op, set: false);
                if (pass != ScanPass.Observe)
                {
                    entry = ListOf(pass).Next(entry);
                    continue;
                }

                // An observation that fits now can go first in any linearization from here, and that
                // configuration was already explored: nothing else needs trying.
            }
            else if (pass != lastPass)
            {
                if (pass == ScanPass.Observe)
                {
                    blocked = entries[entry].Op;
                    windowEnd = ops[blocked].Source.CompleteNs!.Value;
                }

                pass++;
                entry = pass == ScanPass.Wildcard ? WildcardUntried : ListOf(pass).First;
                if (pass == ScanPass.Unknown)
                {
                    FindEnablingStates(state, windowEnd);
                }

                continue;
            }
            else
            {
                RecordDeadEnd(key.DefiniteCount - remaining, blocked);
            }

            // Dead end: undo moves until a configuration with candidates left; a forced observation has none.
            SearchFrame frame;
            do
            {
                if (stack.Count == 0)
                {
                    return Verdict.NotLinearizable;
                }

                frame = stack[^1];
                stack.RemoveAt(stack.Count - 1);
                state = frame.PreviousState;
                if (frame.Entry == NoEntry)
                {
                    continue;
                }

                ref readonly var undone = ref ops[entries[frame.Entry].Op];
                Mark(undone, set: false);
                ListOf(frame.Pass).Unlift(frame.Entry, entries[frame.Entry].Return);
                remaining += undone.IsUnknown ? 0 : 1;
            }
            while (frame.Pass == ScanPass.Observe);

            pass = frame.Pass;
            blocked = frame.Blocked;
            windowEnd = ops[blocked].Source.CompleteNs!.Value;
            entry = pass == ScanPass.Wildcard ? EventList.End : ListOf(pass).Next(frame.Entry);
            if (pass == ScanPass.Unknown)
            {
                FindEnablingStates(state, windowEnd);
            }
        }

        return Verdict.Linearizable;
    }

    // Definite passes stop at the earliest pending return (there is one while definite operations remain);
    // the unknown pass at the first unknown call after it.
    private bool InWindow(ScanPass pass, int entry, long windowEnd) => pass == ScanPass.Unknown
        ? entry != EventList.End && ops[entries[entry].Op].Source.InvokeNs <= windowEnd
        : entries[entry].IsCall;

    private EventList ListOf(ScanPass pass) => pass == ScanPass.Unknown ? unknownList : definiteList;

    // Within a pass, candidates are tried in call order; one tried in an earlier pass is pruned by the cache.
    private bool IsCandidate(int index, ScanPass pass, int state, int blocked, out int next)
    {
        ref readonly var op = ref ops[index];
        next = state;
        if (op.Pass != (pass == ScanPass.Enable ? ScanPass.Change : pass) || !TryStep(op, state, out next))
        {
            return false;
        }

        switch (pass)
        {
            case ScanPass.Enable:
                // Just in time: the operation that must be linearized first goes now if it can,
                // else what lets it go (Lowe's JIT linearization, as a preference, not a rule).
                ref readonly var first = ref ops[blocked];
                return index == blocked
                    || (!RegisterModel.TryStep(first, state, out _) && RegisterModel.TryStep(first, next, out _));
            case ScanPass.Unknown:
                // Same-effect unknown operations are used in invocation order, and only to let something go
                // (in the relaxed search only what needs exactly the value: the wildcard does the rest).
                return (op.Predecessor < 0 || unknown.Contains(ops[op.Predecessor].Bit))
                    && (relaxed ? enabling.WantsExactly(next, state) : enabling.Contains(next, state));
            default:
                return true;
        }
    }

    // Right after an unknown operation only what it enabled may follow: in any linearization an unknown operation
    // can be moved later past anything that could go without it, or dropped.
    private bool FollowsUnknown(int index)
    {
        if (stack.Count == 0)
        {
            return true;
        }

        var top = stack[^1];
        return top.Pass is not (ScanPass.Unknown or ScanPass.Wildcard)
            || !TryStep(ops[index], top.PreviousState, out _);
    }

    private bool TryStep(in CompiledOperation op, int state, out int next)
    {
        // The relaxed search lets an unknown cas go whatever the key holds, like a write.
        if (relaxed && op.IsUnknown && op.Step == StepKind.CasApplied)
        {
            next = op.Value;
            return true;
        }

        return RegisterModel.TryStep(op, state, out next);
    }

    // After a success every cached configuration but those on the stack was explored in full and failed (cached
    // configurations gain a definite operation at every level, so none is pruned on behalf of an ancestor).
    private ConfigurationCache DeadConfigurations()
    {
        foreach (var frame in stack)
        {
            if (frame.Cached is not null)
            {
                cache.Remove(frame.Cached);
            }
        }

        return cache;
    }

    // A relaxed linearization without wildcards or precondition-free cas operations is one of the register too.
    private bool WitnessIsExact()
    {
        foreach (var frame in stack)
        {
            if (frame.Entry == NoEntry)
            {
                return false;
            }

            ref readonly var op = ref ops[entries[frame.Entry].Op];
            if (op.IsUnknown && !RegisterModel.TryStep(op, frame.PreviousState, out _))
            {
                return false;
            }
        }

        return true;
    }

    // The wildcard stands in for an unknown operation, so it needs one invoked. It never follows an optional
    // step, since it could go without one and it overwrites whatever that step did.
    private bool WildcardFits(int state, long windowEnd) =>
        key.FirstUnknownNs <= windowEnd
        && enabling.WantsAnyOther(RegisterModel.Unobserved, state)
        && (stack.Count == 0 || stack[^1].Pass is not (ScanPass.Unknown or ScanPass.Wildcard));

    private void FindEnablingStates(int state, long windowEnd)
    {
        enabling.Clear();
        for (var entry = definiteList.First; entries[entry].IsCall; entry = definiteList.Next(entry))
        {
            enabling.Add(ops[entries[entry].Op], state);
        }

        // Relaxed, unknown operations need nothing the wildcard or an exact use would bring about.
        for (var entry = unknownList.First; !relaxed && entry != EventList.End; entry = unknownList.Next(entry))
        {
            ref readonly var op = ref ops[entries[entry].Op];
            if (op.Source.InvokeNs > windowEnd)
            {
                break;
            }

            enabling.Add(op, state);
        }
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

    private void RecordDeadEnd(int depth, int blocked)
    {
        if (depth <= bestDepth)
        {
            return;
        }

        bestDepth = depth;
        bestState = CurrentValue();
        bestBlocked = blocked;
        var tail = new List<int>(TailLength);
        for (var i = stack.Count - 1; i >= 0 && tail.Count < TailLength; i--)
        {
            if (stack[i].Entry != NoEntry)
            {
                tail.Add(entries[stack[i].Entry].Op);
            }
        }

        tail.Reverse();
        bestTail = [.. tail];
    }

    // The state's id may stand for many values; the last change on the stack names the actual one.
    private string? CurrentValue()
    {
        for (var i = stack.Count - 1; i >= 0; i--)
        {
            if (stack[i].Entry == NoEntry)
            {
                return WildcardValue;
            }

            ref readonly var op = ref ops[entries[stack[i].Entry].Op];
            if (op.Pass != ScanPass.Observe)
            {
                return op.Step == StepKind.DeleteApplied ? null : op.Source.Value;
            }
        }

        return null;
    }

    private Violation DescribeViolation() => new(
        bestDepth,
        key.DefiniteCount,
        bestState,
        ops[bestBlocked].Source,
        [.. bestTail.Select(i => ops[i].Source)]);
}
