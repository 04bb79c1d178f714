namespace GeoLedger.Ledger;

/// <summary>One key of the ledger.</summary>
/// <param name="Key">The key.</param>
/// <param name="Value">The value's JSON text, UTF-8, minified.</param>
/// <param name="Revision">Raft log index of the entry that last changed the key.</param>
public sealed record LedgerEntry(string Key, byte[] Value, long Revision);
