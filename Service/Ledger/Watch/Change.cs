namespace GeoLedger.Ledger.Watch;

/// <summary>What a change did to its key.</summary>
public enum ChangeKind
{
    /// <summary>The key was written.</summary>
    Put,

    /// <summary>The key was removed.</summary>
    Delete,
}

/// <summary>One applied change of one key, as watchers receive it.</summary>
/// <param name="Revision">The revision (log index) of the entry that made it; a transaction's changes share one.</param>
/// <param name="Kind">Put or delete.</param>
/// <param name="Key">The key.</param>
/// <param name="Value">The value written (JSON text); empty for a delete.</param>
/// <param name="PreviousRevision">The key's revision before the change; 0 when it was absent.</param>
public sealed record Change(long Revision, ChangeKind Kind, string Key, byte[] Value, long PreviousRevision)
{
    /// <summary>Bytes this change holds in the history (key and value).</summary>
    public long Bytes => Key.Length + Value.Length;
}
