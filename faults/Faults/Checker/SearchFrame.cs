namespace GeoLedger.Faults.Checker;

/// <summary>One linearized operation on the search stack, with what is needed to undo it.</summary>
/// <param name="Entry">The call entry that was lifted.</param>
/// <param name="PreviousState">The state before the operation.</param>
/// <param name="Pass">The pass it was chosen in, so the scan of the previous configuration resumes there.</param>
/// <param name="Blocked">The operation with the earliest pending return in the previous configuration.</param>
/// <param name="Cached">The cache entry of the configuration it led to, if that was cached.</param>
internal readonly record struct SearchFrame(int Entry, int PreviousState, ScanPass Pass, int Blocked, CacheEntry? Cached);
