using System.Runtime.CompilerServices;
using System.Text.Json;

namespace GeoLedger.Tests.Watch;

/// <summary>One Server-Sent Event.</summary>
public sealed record SseEvent(string? Id, string Event, string Data)
{
    /// <summary>The data as JSON.</summary>
    public JsonElement Json => JsonDocument.Parse(Data).RootElement.Clone();
}

/// <summary>Reads a <c>text/event-stream</c> body the way an EventSource does (fields, blank line ends an event, comments skipped).</summary>
public static class SseReader
{
    public static async IAsyncEnumerable<SseEvent> ReadAsync(Stream body, [EnumeratorCancellation] CancellationToken token)
    {
        using var reader = new StreamReader(body);
        string? id = null, name = null;
        var data = new List<string>();
        while (await reader.ReadLineAsync(token) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Count > 0 || name is not null)
                    yield return new SseEvent(id, name ?? "message", string.Join('\n', data));
                id = name = null;
                data.Clear();
                continue;
            }

            if (line[0] == ':')
                continue;
            var colon = line.IndexOf(':');
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
            switch (field)
            {
                case "id":
                    id = value;
                    break;
                case "event":
                    name = value;
                    break;
                case "data":
                    data.Add(value);
                    break;
            }
        }
    }
}
