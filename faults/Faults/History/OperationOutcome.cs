namespace GeoLedger.Faults.History;

/// <summary>What the client learned about an operation's effect.</summary>
public enum OperationOutcome
{
    /// <summary>The operation took effect (a read carries its result).</summary>
    Ok,

    /// <summary>
    /// A definite negative answer: a cas whose precondition did not hold (412) or a delete of an absent key (404)
    /// still happened; a failed read or write certainly did not happen (503) and is dropped by the checker.
    /// </summary>
    Fail,

    /// <summary>Timeout, 504 or a broken connection: the operation may have taken effect at any time after its invocation, or never.</summary>
    Unknown,
}
