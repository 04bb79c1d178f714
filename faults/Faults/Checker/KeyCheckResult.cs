namespace GeoLedger.Faults.Checker;

/// <summary>The verdict for one key.</summary>
/// <param name="Key">The key.</param>
/// <param name="Verdict">Whether the key's operations are linearizable.</param>
/// <param name="OperationCount">Operations recorded on the key.</param>
/// <param name="CheckedCount">Operations that constrain the search (failed and unknown reads, failed writes are dropped).</param>
/// <param name="Violation">For <see cref="Checker.Verdict.NotLinearizable"/>: how far the search got; otherwise null.</param>
/// <param name="Elapsed">Time spent on this key.</param>
/// <param name="UnknownReason">For <see cref="Checker.Verdict.Unknown"/>: why the search stopped; otherwise null.</param>
public sealed record KeyCheckResult(
    string Key,
    Verdict Verdict,
    int OperationCount,
    int CheckedCount,
    Violation? Violation,
    TimeSpan Elapsed,
    string? UnknownReason = null);
