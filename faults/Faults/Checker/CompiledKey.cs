using GeoLedger.Faults.History;

namespace GeoLedger.Faults.Checker;

/// <summary>One key's operations prepared for the search: dropped ones removed, values interned, events sorted.</summary>
internal sealed class CompiledKey
{
    private CompiledKey(CompiledOperation[] operations, EventEntry[] entries, string[] values, int definiteCount)
    {
        Operations = operations;
        Entries = entries;
        Values = values;
        DefiniteCount = definiteCount;
        UnknownCount = operations.Length - definiteCount;
    }

    /// <summary>The operations that constrain the search.</summary>
    public CompiledOperation[] Operations { get; }

    /// <summary>Call and return events by time; calls before returns at equal times, so touching operations count as concurrent.</summary>
    public EventEntry[] Entries { get; }

    /// <summary>Value text by value id.</summary>
    public string[] Values { get; }

    /// <summary>Operations that must be linearized.</summary>
    public int DefiniteCount { get; }

    /// <summary>Operations that may be linearized (unknown outcome); they have no return event.</summary>
    public int UnknownCount { get; }

    /// <summary>The value text of a state.</summary>
    public string? ValueOf(int state) => state == RegisterModel.Absent ? null : Values[state];

    /// <summary>Prepares one key's operations; the operations must have passed <see cref="HistoryValidator"/>.</summary>
    public static CompiledKey Compile(IReadOnlyList<Operation> operations)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var values = new List<string>();
        int Intern(string? value)
        {
            if (value is null)
            {
                return RegisterModel.Absent;
            }

            if (!ids.TryGetValue(value, out var id))
            {
                id = values.Count;
                ids.Add(value, id);
                values.Add(value);
            }

            return id;
        }

        var compiled = new List<CompiledOperation>(operations.Count);
        var definite = 0;
        var unknown = 0;
        foreach (var op in operations.OrderBy(o => o.InvokeNs).ThenBy(o => o.Id))
        {
            if (ToStep(op) is not { } step)
            {
                continue;
            }

            var isUnknown = op.Outcome == OperationOutcome.Unknown;
            var value = step == StepKind.Read ? Intern(op.Result) : Intern(op.Value);
            var expected = op.Kind == OperationKind.Cas ? Intern(op.Expected) : RegisterModel.Absent;
            var bit = isUnknown ? unknown++ : definite++;
            compiled.Add(new CompiledOperation(step, value, expected, isUnknown, bit, op));
        }

        return new CompiledKey([.. compiled], SortEvents(compiled), [.. values], definite);
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
