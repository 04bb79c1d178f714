namespace GeoLedger.Ledger;

/// <summary>The write-ahead log's files could not be opened (e.g. a page file longer than a page); the node must not start on them.</summary>
public sealed class WriteAheadLogDamagedException(string dataDirectory, Exception inner)
    : Exception($"the write-ahead log in folder '{Path.Combine(dataDirectory, "wal")}' cannot be opened ({inner.GetType().Name}: {inner.Message}); a page file is damaged (a crash or a disk fault can leave one too long or unreadable). Move the folder '{dataDirectory}' aside and let the node catch up from the cluster, or restore it from a backup.", inner);
