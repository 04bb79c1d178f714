namespace GeoLedger.Faults.Checker;

/// <summary>
/// The states in which some pending operation that cannot go now could go. An unknown operation is applied only
/// to reach one of them: in any linearization an applied unknown operation can be moved later, or dropped,
/// until the operation right after it could not have gone without it.
/// </summary>
internal sealed class EnablingStates(int valueCount)
{
    // Indexed by value id + 2, so that Unobserved (-2) and Absent (-1) have slots.
    private readonly long[] wanted = new long[valueCount + 2];
    private long generation;
    private bool anyPresent;
    private bool anyOther;

    /// <summary>Forgets every wanted state.</summary>
    public void Clear()
    {
        generation++;
        anyPresent = false;
        anyOther = false;
    }

    /// <summary>Records the states in which <paramref name="op"/> could go, when it cannot go in <paramref name="state"/>.</summary>
    public void Add(in CompiledOperation op, int state)
    {
        if (RegisterModel.TryStep(op, state, out _))
        {
            return;
        }

        switch (op.Step)
        {
            case StepKind.Read:
                wanted[op.Value + 2] = generation;
                break;
            case StepKind.CasApplied:
                wanted[op.Expected + 2] = generation;
                break;
            case StepKind.CasRejected:
                anyOther = true;
                break;
            case StepKind.DeleteApplied:
                anyPresent = true;
                break;
            case StepKind.DeleteRejected:
                wanted[RegisterModel.Absent + 2] = generation;
                break;
        }
    }

    /// <summary>True when moving from <paramref name="state"/> to <paramref name="next"/> lets some recorded operation go.</summary>
    public bool Contains(int next, int state) => WantsExactly(next, state) || WantsAnyOther(next, state);

    /// <summary>True when some recorded operation needs exactly the state <paramref name="next"/> (a read, a cas precondition).</summary>
    public bool WantsExactly(int next, int state) => next != state && wanted[next + 2] == generation;

    /// <summary>True when some recorded operation needs only a present state, or one different from <paramref name="state"/>.</summary>
    public bool WantsAnyOther(int next, int state) =>
        next != state && (anyOther || (anyPresent && next != RegisterModel.Absent));
}
