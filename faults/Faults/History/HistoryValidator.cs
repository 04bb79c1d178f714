namespace GeoLedger.Faults.History;

/// <summary>Finds operations that break the history format, so a runner bug is reported instead of checked.</summary>
public static class HistoryValidator
{
    /// <summary>Returns one message per problem found (empty when the operations are well formed).</summary>
    public static IReadOnlyList<string> Validate(IEnumerable<Operation?> operations)
    {
        var errors = new List<string>();
        var ids = new HashSet<long>();
        var index = 0;
        foreach (var op in operations)
        {
            if (op is null)
            {
                errors.Add($"operation at index {index}: null");
            }
            else
            {
                if (!ids.Add(op.Id))
                {
                    errors.Add($"operation {op.Id}: duplicate id");
                }

                CheckOne(op, errors);
            }

            index++;
        }

        return errors;
    }

    private static void CheckOne(Operation op, List<string> errors)
    {
        var where = $"operation {op.Id}";
        if (op.Key is null)
        {
            errors.Add($"{where}: key is null");
        }

        if (!Enum.IsDefined(op.Kind))
        {
            errors.Add($"{where}: unknown kind {(int)op.Kind}");
        }

        if (!Enum.IsDefined(op.Outcome))
        {
            errors.Add($"{where}: unknown outcome {(int)op.Outcome}");
        }

        if (op.CompleteNs is null && op.Outcome != OperationOutcome.Unknown)
        {
            errors.Add($"{where}: outcome {op.Outcome} needs completeNs (only unknown operations may lack it)");
        }

        if (op.CompleteNs < op.InvokeNs)
        {
            errors.Add($"{where}: completeNs {op.CompleteNs} is before invokeNs {op.InvokeNs}");
        }

        var writes = op.Kind is OperationKind.Write or OperationKind.Cas;
        if (writes && op.Value is null)
        {
            errors.Add($"{where}: {op.Kind} needs a value");
        }

        if (!writes && op.Value is not null)
        {
            errors.Add($"{where}: {op.Kind} carries no value");
        }

        if (op.Kind == OperationKind.Cas && (op.Expected is null) == !op.ExpectedAbsent)
        {
            errors.Add($"{where}: cas needs exactly one of expected or expectedAbsent");
        }

        if (op.Kind != OperationKind.Cas && (op.Expected is not null || op.ExpectedAbsent))
        {
            errors.Add($"{where}: only a cas carries expected or expectedAbsent");
        }

        if (op.Result is not null && !(op.Kind == OperationKind.Read && op.Outcome == OperationOutcome.Ok))
        {
            errors.Add($"{where}: only an ok read carries a result");
        }

        if (op.Revision is not null && !(writes && op.Outcome == OperationOutcome.Ok))
        {
            errors.Add($"{where}: only an ok write or cas carries a revision");
        }
    }
}
