using System.Text.Json;

namespace GeoLedger.Faults.State;

/// <summary>
/// The state file of a fault run (<c>run-SEED-state.json</c>, beside the history): each voting member's applied state
/// under the prefix as read at the end, the nodes left out, and what the comparison found.
/// </summary>
public sealed record StateRecord
{
    /// <summary>The run's seed.</summary>
    public required long Seed { get; init; }

    /// <summary>The key prefix read: the workload's keys.</summary>
    public required string Prefix { get; init; }

    /// <summary>Each voting member's state (empty when they did not converge).</summary>
    public required IReadOnlyList<NodeState> Nodes { get; init; }

    /// <summary>Nodes not compared, with why.</summary>
    public required IReadOnlyList<string> LeftOut { get; init; }

    /// <summary>The comparison's problems (empty: it passed).</summary>
    public required IReadOnlyList<string> Problems { get; init; }

    /// <summary>Writes the file (the history's JSON conventions).</summary>
    public void Save(string path)
    {
        using var stream = File.Create(path);
        JsonSerializer.Serialize(stream, this, History.HistoryJson.Options);
    }
}
