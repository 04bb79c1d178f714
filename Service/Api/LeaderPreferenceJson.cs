using System.Text.Json;
using GeoLedger.Cluster;

namespace GeoLedger.Api;

/// <summary>The leader preference in <c>/v1/cluster</c>: <c>preferredLeader</c> (member id or null) and <c>lastTransfer</c>.</summary>
internal static class LeaderPreferenceJson
{
    /// <summary>Writes both properties into the open object.</summary>
    public static void Write(Utf8JsonWriter w, NodeConfig config, LeaderPreference preference)
    {
        if (config.Preferred is { } preferred)
            w.WriteString("preferredLeader", preferred.Id);
        else
            w.WriteNull("preferredLeader");
        w.WritePropertyName("lastTransfer");
        if (preference.LastTransfer is not { } transfer)
        {
            w.WriteNullValue();
            return;
        }

        w.WriteStartObject();
        w.WriteString("from", transfer.From);
        w.WriteString("to", transfer.To);
        w.WriteString("startedAt", transfer.StartedAt);
        w.WriteString("outcome", transfer.Outcome);
        if (transfer.TookMs is { } took)
            w.WriteNumber("tookMs", took);
        else
            w.WriteNull("tookMs");
        if (transfer.Reason is { } reason)
            w.WriteString("reason", reason);
        else
            w.WriteNull("reason");
        w.WriteEndObject();
    }
}
