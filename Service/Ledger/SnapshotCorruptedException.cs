namespace GeoLedger.Ledger;

/// <summary>A snapshot file failed its checks; the node must not serve from it.</summary>
public sealed class SnapshotCorruptedException(string path, string problem)
    : Exception($"Snapshot '{path}' in folder '{Path.GetDirectoryName(path)}' {problem}. Move the folder aside and let the node catch up from the cluster, or restore it from a backup.")
{
    /// <summary>The snapshot file.</summary>
    public string SnapshotPath { get; } = path;

    /// <summary>What is wrong with the file, without the advice for a node's folder.</summary>
    public string Problem { get; } = problem;
}
