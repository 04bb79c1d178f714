namespace GeoLedger.Faults.Checker;

/// <summary>A search configuration already visited: definite operations linearized, state, unknown operations applied.</summary>
internal sealed record CacheEntry(ulong Hash, BitSnapshot Definite, int State, BitSnapshot Unknown);
