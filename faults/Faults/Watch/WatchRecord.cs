using System.Text.Json;

namespace GeoLedger.Faults.Watch;

/// <summary>
/// The watch file of a fault run (<c>run-SEED-watch.json</c>, beside the history): the prefix watched, the revision
/// the watchers started from, the fence revision they had to reach at the end, and each watcher's deliveries.
/// </summary>
public sealed record WatchRecord
{
    /// <summary>The run's seed.</summary>
    public required long Seed { get; init; }

    /// <summary>The key prefix watched: the workload's keys.</summary>
    public required string Prefix { get; init; }

    /// <summary>The revision the watchers started from (1: every change ever made).</summary>
    public required long FromRevision { get; init; }

    /// <summary>
    /// The revision of a write made after the workload and the final reads: a watcher that reached it was sent every
    /// change of the history. Null when the fence write did not succeed.
    /// </summary>
    public long? FenceRevision { get; init; }

    /// <summary>The watchers.</summary>
    public required IReadOnlyList<WatcherRecord> Watchers { get; init; }

    /// <summary>Writes the file (the history's JSON conventions).</summary>
    public void Save(string path)
    {
        using var stream = File.Create(path);
        JsonSerializer.Serialize(stream, this, History.HistoryJson.Options);
    }

    /// <summary>Reads a watch file; throws <see cref="JsonException"/> when it is not one.</summary>
    public static WatchRecord Load(string path)
    {
        using var stream = File.OpenRead(path);
        return JsonSerializer.Deserialize<WatchRecord>(stream, History.HistoryJson.Options) ?? throw new JsonException("The watch record is null.");
    }
}
