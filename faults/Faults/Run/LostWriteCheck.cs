using GeoLedger.Faults.History;

namespace GeoLedger.Faults.Run;

/// <summary>
/// Independent of the linearizability search: every acknowledged write must be present at the end,
/// or have been overwritten by some write or delete that could have come after it (one invoked
/// before it completed or later).
/// </summary>
public static class LostWriteCheck
{
    /// <summary>Descriptions of acknowledged writes that are neither present nor legitimately overwritten.</summary>
    /// <param name="operations">The whole history.</param>
    /// <param name="finalValues">Each key's value read at the end (null: absent).</param>
    public static IReadOnlyList<string> FindLostWrites(IReadOnlyList<Operation> operations, IReadOnlyDictionary<string, string?> finalValues)
    {
        var lost = new List<string>();
        foreach (var group in operations.Where(o => o.Kind != OperationKind.Read).GroupBy(o => o.Key))
        {
            if (!finalValues.TryGetValue(group.Key, out var final))
                continue;
            var mutations = group.Where(o => o.Outcome != OperationOutcome.Fail || o.Kind == OperationKind.Delete).ToList();
            foreach (var write in group.Where(o => o.Outcome == OperationOutcome.Ok && o.Kind is OperationKind.Write or OperationKind.Cas))
            {
                if (write.Value == final)
                    continue;
                var overwritten = mutations.Any(m => m.Id != write.Id && MayChangeValue(m) && (m.CompleteNs ?? long.MaxValue) > write.InvokeNs);
                if (!overwritten)
                    lost.Add($"key '{group.Key}': acknowledged write of '{write.Value}' (op {write.Id}) is gone (final value {(final is null ? "absent" : $"'{final}'")}) and nothing could have overwritten it");
            }
        }

        return lost;
    }

    private static bool MayChangeValue(Operation operation) => operation.Kind switch
    {
        OperationKind.Write or OperationKind.Cas => operation.Outcome != OperationOutcome.Fail,
        OperationKind.Delete => operation.Outcome != OperationOutcome.Fail,
        _ => false,
    };
}
