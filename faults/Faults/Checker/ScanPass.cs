namespace GeoLedger.Faults.Checker;

/// <summary>Which operations a scan of the window tries; each configuration is scanned in this order.</summary>
internal enum ScanPass
{
    /// <summary>Definite operations that leave the state as it is (ok reads, rejected cas and deletes).</summary>
    Observe,

    /// <summary>
    /// Operations that change the state and either are the one with the earliest pending return (when it fits)
    /// or make that one fit: the likeliest next step.
    /// </summary>
    Enable,

    /// <summary>Definite operations that change the state.</summary>
    Change,

    /// <summary>Unknown operations, applied (leaving one out is the same as not linearizing it).</summary>
    Unknown,

    /// <summary>
    /// Relaxed search only: some unknown operation, without being used up, gives the key a value nobody reads,
    /// which is all a delete or a rejected cas may need from it.
    /// </summary>
    Wildcard,
}
