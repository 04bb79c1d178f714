namespace GeoLedger.Faults.State;

/// <summary>One key of a node's applied state, as its list API answers it.</summary>
/// <param name="Key">The key.</param>
/// <param name="Value">The value as JSON text, exactly as the node answered it (a string value keeps its quotes).</param>
/// <param name="Revision">The revision (log index) of the write that set it.</param>
public sealed record StateEntry(string Key, string Value, long Revision);
