namespace GeoLedger.Storage;

/// <summary>The log's files failed a check the node cannot repair by itself; it must not start on them.</summary>
public sealed class LogDamagedException(string directory, string problem)
    : Exception($"the write-ahead log in folder '{directory}' {problem}. Move the data folder aside and let the node catch up from the cluster, or restore it from a backup.");
