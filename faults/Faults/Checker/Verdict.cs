namespace GeoLedger.Faults.Checker;

/// <summary>The answer of a linearizability check.</summary>
public enum Verdict
{
    /// <summary>A linearization exists: the history is consistent with a single register per key.</summary>
    Linearizable,

    /// <summary>No linearization exists: the service broke linearizability.</summary>
    NotLinearizable,

    /// <summary>The time budget ran out before the search finished; nothing is claimed.</summary>
    Unknown,
}
