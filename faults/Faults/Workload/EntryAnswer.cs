using System.Text.Json;

namespace GeoLedger.Faults.Workload;

/// <summary>The body of a 200 to a read or a write of one key: <c>{key, value, revision}</c>.</summary>
/// <param name="Key">The key the node answered for.</param>
/// <param name="Value">The value: a JSON string's text, else the JSON as written.</param>
/// <param name="Revision">The entry's revision.</param>
public sealed record EntryAnswer(string Key, string Value, long Revision)
{
    /// <summary>The answer, or null when the body is not a <c>{key, value, revision}</c> object.</summary>
    public static EntryAnswer? Parse(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("key", out var key) || key.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("value", out var value)
                || !root.TryGetProperty("revision", out var revision) || !revision.TryGetInt64(out var number))
                return null;
            return new EntryAnswer(key.GetString()!, value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText(), number);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
