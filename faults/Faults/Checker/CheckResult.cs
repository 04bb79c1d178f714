namespace GeoLedger.Faults.Checker;

/// <summary>The verdict for a whole history.</summary>
/// <param name="Verdict">NotLinearizable if any key is; else Unknown if any key is; else Linearizable.</param>
/// <param name="Keys">One result per key, ordered by key (ordinal).</param>
/// <param name="OperationCount">Operations in the history.</param>
/// <param name="Elapsed">Wall-clock time of the whole check.</param>
public sealed record CheckResult(
    Verdict Verdict,
    IReadOnlyList<KeyCheckResult> Keys,
    int OperationCount,
    TimeSpan Elapsed);
