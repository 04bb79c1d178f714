using GeoLedger.Faults.History;

namespace GeoLedger.Faults.Tests;

/// <summary>
/// The definition of linearizability for one register, searched exhaustively: some order of all definite
/// operations plus any subset of the unknown ones that respects real time and the register's rules.
/// Written from the format's description, independently of the checker, to cross-check it on small histories.
/// </summary>
internal static class BruteForceOracle
{
    public static bool IsLinearizable(IReadOnlyList<Operation> operations)
    {
        var ops = operations.Where(Constrains).ToArray();
        if (ops.Length > 20)
        {
            throw new ArgumentException("Too many operations for an exhaustive search.", nameof(operations));
        }

        var definite = 0;
        for (var i = 0; i < ops.Length; i++)
        {
            definite |= IsUnknown(ops[i]) ? 0 : 1 << i;
        }

        var dead = new HashSet<(int Placed, string? State)>();
        return Search(0, null);

        bool Search(int placed, string? state)
        {
            if ((placed & definite) == definite)
            {
                return true;
            }

            if (!dead.Add((placed, state)))
            {
                return false;
            }

            for (var i = 0; i < ops.Length; i++)
            {
                if ((placed & (1 << i)) == 0 && MayGoNext(i, placed) && TryApply(ops[i], state, out var next) && Search(placed | (1 << i), next))
                {
                    return true;
                }
            }

            return false;
        }

        // An operation answered strictly before another was sent precedes it.
        bool MayGoNext(int candidate, int placed)
        {
            for (var j = 0; j < ops.Length; j++)
            {
                if ((placed & (1 << j)) == 0 && (definite & (1 << j)) != 0 && ops[j].CompleteNs < ops[candidate].InvokeNs)
                {
                    return false;
                }
            }

            return true;
        }
    }

    private static bool Constrains(Operation op) => op.Kind switch
    {
        OperationKind.Read => op.Outcome == OperationOutcome.Ok,
        OperationKind.Write => op.Outcome != OperationOutcome.Fail,
        _ => true,
    };

    private static bool IsUnknown(Operation op) => op.Outcome == OperationOutcome.Unknown;

    private static bool TryApply(Operation op, string? state, out string? next)
    {
        next = state;
        var expected = op.ExpectedAbsent ? null : op.Expected;
        switch (op.Kind, op.Outcome)
        {
            case (OperationKind.Read, _):
                return state == op.Result;
            case (OperationKind.Write, _):
                next = op.Value;
                return true;
            case (OperationKind.Cas, OperationOutcome.Fail):
                return state != expected;
            case (OperationKind.Cas, _):
                next = op.Value;
                return state == expected;
            case (OperationKind.Delete, OperationOutcome.Fail):
                return state is null;
            default:
                next = null;
                return state is not null;
        }
    }
}
