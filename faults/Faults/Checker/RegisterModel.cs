namespace GeoLedger.Faults.Checker;

/// <summary>
/// The sequential specification of one key: a register whose state is a value id, or absent.
/// Values are reduced to ids per key so states compare and hash in O(1).
/// </summary>
internal static class RegisterModel
{
    /// <summary>The state of a key that does not exist (and the start state of every key).</summary>
    public const int Absent = -1;

    /// <summary>The id shared by every value that no read returns and no cas expects.</summary>
    public const int Unobserved = -2;

    /// <summary>Applies an operation to a state; false when the operation cannot happen in that state.</summary>
    public static bool TryStep(in CompiledOperation op, int state, out int next)
    {
        switch (op.Step)
        {
            case StepKind.Read:
                next = state;
                return state == op.Value;
            case StepKind.Write:
                next = op.Value;
                return true;
            case StepKind.CasApplied:
                next = op.Value;
                return state == op.Expected;
            case StepKind.CasRejected:
                next = state;
                return state != op.Expected;
            case StepKind.DeleteApplied:
                next = Absent;
                return state != Absent;
            case StepKind.DeleteRejected:
                next = state;
                return state == Absent;
            default:
                throw new InvalidOperationException($"Unknown step {op.Step}.");
        }
    }
}
