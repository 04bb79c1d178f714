using System.Text;
using System.Text.Json;

namespace GeoLedger.Infra.Plan;

/// <summary>
/// Renders <c>/etc/geoledger/node.json</c> in the service's schema
/// (<c>{"self", "members": [{"id", "region", "raft", "public", "priority"}]}</c>, priority only when not 0) and canonical form:
/// indented by two spaces, LF line ends, a trailing newline, URLs as <see cref="Uri.AbsoluteUri"/>.
/// The same bytes the service's own <c>NodeConfigLoader.Render</c> writes (the tests hold them to it).
/// </summary>
public static class NodeConfigJson
{
    /// <summary>The node config of <paramref name="self"/> in a cluster of <paramref name="members"/>.</summary>
    /// <param name="self">This node's id.</param>
    /// <param name="members">The members this node starts with.</param>
    /// <param name="join">
    /// Writes <c>"join": true</c>: the node is not a founding member; started on an empty data folder it waits
    /// as a learner to be added (docs/deploy-azure.md, "Growing and shrinking the cluster"). False writes nothing.
    /// </param>
    public static string Render(string self, IReadOnlyList<NodePlan> members, bool join = false)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, NewLine = "\n" }))
        {
            writer.WriteStartObject();
            writer.WriteString("self", self);
            writer.WriteStartArray("members");
            foreach (var m in members)
            {
                writer.WriteStartObject();
                writer.WriteString("id", m.Id);
                writer.WriteString("region", m.Region);
                writer.WriteString("raft", m.RaftUrl.AbsoluteUri);
                writer.WriteString("public", m.PublicUrl.AbsoluteUri);
                if (m.Priority != 0)
                    writer.WriteNumber("priority", m.Priority);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            if (join)
                writer.WriteBoolean("join", true);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }
}
