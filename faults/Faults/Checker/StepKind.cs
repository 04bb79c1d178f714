namespace GeoLedger.Faults.Checker;

/// <summary>The effect an operation must have when it is linearized, after its outcome is taken into account.</summary>
internal enum StepKind
{
    /// <summary>An ok read: the state must equal the result.</summary>
    Read,

    /// <summary>A write that took effect.</summary>
    Write,

    /// <summary>A cas that took effect: the precondition must hold.</summary>
    CasApplied,

    /// <summary>A cas answered 412: the precondition must not hold; the state is unchanged.</summary>
    CasRejected,

    /// <summary>A delete that took effect: the key must exist.</summary>
    DeleteApplied,

    /// <summary>A delete answered 404: the key must be absent.</summary>
    DeleteRejected,
}
