using System.Text.Json;

namespace GeoLedger.Faults.State;

/// <summary>What one node's <c>GET /v1/cluster</c> says, as far as the state check needs it.</summary>
/// <param name="Node">The answering node's id.</param>
/// <param name="Leader">The leader's id as this node knows it, or null.</param>
/// <param name="Term">The node's term.</param>
/// <param name="CommitIndex">The node's commit index.</param>
/// <param name="AppliedIndex">The node's applied index.</param>
/// <param name="Members">The ids of the voting members in the node's configuration.</param>
/// <param name="Membership"><c>voter</c>, or <c>removed</c> when the node knows it is not a voting member.</param>
public sealed record ClusterStatus(string Node, string? Leader, long Term, long CommitIndex, long AppliedIndex, IReadOnlyList<string> Members, string Membership)
{
    /// <summary>Reads a <c>/v1/cluster</c> answer; throws <see cref="JsonException"/> or <see cref="KeyNotFoundException"/> when it is not one.</summary>
    public static ClusterStatus Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        var leader = root.GetProperty("leader");
        return new ClusterStatus(
            root.GetProperty("node").GetProperty("id").GetString() ?? throw new JsonException("node.id is null"),
            leader.ValueKind == JsonValueKind.Object ? leader.GetProperty("id").GetString() : null,
            root.GetProperty("term").GetInt64(),
            root.GetProperty("commitIndex").GetInt64(),
            root.GetProperty("appliedIndex").GetInt64(),
            root.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("id").GetString() ?? "").ToList(),
            root.GetProperty("membership").GetString() ?? "");
    }

    /// <summary>True when this node says it is the leader.</summary>
    public bool Leads => Leader == Node;
}
