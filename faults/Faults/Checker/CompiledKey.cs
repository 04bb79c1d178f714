using GeoLedger.Faults.History;

namespace GeoLedger.Faults.Checker;

/// <summary>One key's operations prepared for the search: dropped ones removed, values reduced to ids, events sorted.</summary>
internal sealed class CompiledKey
{
    private CompiledKey(CompiledOperation[] operations, EventEntry[] entries, int definiteCount, int valueCount, long firstUnknownNs)
    {
        FirstUnknownNs = firstUnknownNs;
        ValueCount = valueCount;
        Operations = operations;
        Entries = entries;
        DefiniteCount = definiteCount;
        UnknownCount = operations.Length - definiteCount;
    }

    /// <summary>The operations that constrain the search.</summary>
    public CompiledOperation[] Operations { get; }

    /// <summary>Call and return events by time; calls before returns at equal times, so touching operations count as concurrent.</summary>
    public EventEntry[] Entries { get; }

    /// <summary>Distinct value ids besides <see cref="RegisterModel.Absent"/> and <see cref="RegisterModel.Unobserved"/>: 0..ValueCount-1.</summary>
    public int ValueCount { get; }

    /// <summary>Invocation time of the first unknown operation (long.MaxValue when none).</summary>
    public long FirstUnknownNs { get; }

    /// <summary>Operations that must be linearized.</summary>
    public int DefiniteCount { get; }

    /// <summary>Operations that may be linearized (unknown outcome); they have no return event.</summary>
    public int UnknownCount { get; }

    /// <summary>Prepares one key's operations; the operations must have passed <see cref="HistoryValidator"/>.</summary>
    public static CompiledKey Compile(IReadOnlyList<Operation> operations)
    {
        var kept = operations
            .Select(op => (Op: op, Step: ToStep(op)))
            .Where(x => x.Step is not null)
            .OrderBy(x => x.Op.InvokeNs)
            .ThenBy(x => x.Op.Id)
            .ToList();

        // Only values some read returns or some cas expects are ever compared; every other value
        // behaves alike (present, matching nothing), so they share one id and their orders collapse.
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (op, step) in kept)
        {
            var compared = step == StepKind.Read ? op.Result : op.Expected;
            if (compared is not null)
            {
                ids.TryAdd(compared, ids.Count);
            }
        }

        int Intern(string? value) =>
            value is null ? RegisterModel.Absent : ids.TryGetValue(value, out var id) ? id : RegisterModel.Unobserved;

        var compiled = new List<CompiledOperation>(operations.Count);
        var definite = 0;
        var unknown = 0;
        var lastOfEffect = new Dictionary<(StepKind, int, int), int>();
        foreach (var (op, nullableStep) in kept)
        {
            var step = nullableStep!.Value;
            var isUnknown = op.Outcome == OperationOutcome.Unknown;
            var value = step == StepKind.Read ? Intern(op.Result) : Intern(op.Value);
            var expected = op.Kind == OperationKind.Cas ? Intern(op.Expected) : RegisterModel.Absent;
            var bit = isUnknown ? unknown++ : definite++;
            var predecessor = -1;
            if (isUnknown)
            {
                // Unknown operations with the same effect are interchangeable once invoked: use them in invocation order.
                predecessor = lastOfEffect.GetValueOrDefault((step, value, expected), -1);
                lastOfEffect[(step, value, expected)] = compiled.Count;
            }

            compiled.Add(new CompiledOperation(step, value, expected, isUnknown, bit, predecessor, op));
        }

        var firstUnknown = compiled.Where(o => o.IsUnknown).Select(o => o.Source.InvokeNs).DefaultIfEmpty(long.MaxValue).Min();
        return new CompiledKey([.. compiled], SortEvents(compiled), definite, ids.Count, firstUnknown);
    }

    // Null means the operation constrains nothing: a failed read or write never happened, an unknown read observed nothing.
    private static StepKind? ToStep(Operation op) => (op.Kind, op.Outcome) switch
    {
        (OperationKind.Read, OperationOutcome.Ok) => StepKind.Read,
        (OperationKind.Read, _) => null,
        (OperationKind.Write, OperationOutcome.Fail) => null,
        (OperationKind.Write, _) => StepKind.Write,
        (OperationKind.Cas, OperationOutcome.Fail) => StepKind.CasRejected,
        (OperationKind.Cas, _) => StepKind.CasApplied,
        (OperationKind.Delete, OperationOutcome.Fail) => StepKind.DeleteRejected,
        (OperationKind.Delete, _) => StepKind.DeleteApplied,
        _ => throw new ArgumentException($"Operation {op.Id} has an unknown kind."),
    };

    private static EventEntry[] SortEvents(List<CompiledOperation> operations)
    {
        // (time, return?, op): unknown operations get no return event, their window never closes.
        var events = new List<(long Time, bool IsReturn, int Op)>(operations.Count * 2);
        for (var i = 0; i < operations.Count; i++)
        {
            var source = operations[i].Source;
            events.Add((source.InvokeNs, false, i));
            if (!operations[i].IsUnknown)
            {
                events.Add((source.CompleteNs!.Value, true, i));
            }
        }

        events.Sort();
        var returnOf = new int[operations.Count];
        Array.Fill(returnOf, EventList.End);
        for (var i = 0; i < events.Count; i++)
        {
            if (events[i].IsReturn)
            {
                returnOf[events[i].Op] = i;
            }
        }

        var entries = new EventEntry[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            var (_, isReturn, op) = events[i];
            entries[i] = new EventEntry(op, !isReturn, isReturn ? EventList.End : returnOf[op]);
        }

        return entries;
    }
}
