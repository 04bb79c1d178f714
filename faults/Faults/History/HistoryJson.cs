using System.Text.Json;
using System.Text.Json.Serialization;

namespace GeoLedger.Faults.History;

/// <summary>Reads and writes history files: <c>{ "seed": 1, "operations": [ ... ] }</c>, camelCase, enums as camelCase strings.</summary>
public static class HistoryJson
{
    /// <summary>The serializer options of the history format.</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    /// <summary>Serializes a history to JSON text.</summary>
    public static string Serialize(OperationHistory history) => JsonSerializer.Serialize(history, Options);

    /// <summary>Parses JSON text into a history; throws <see cref="JsonException"/> when it is not one.</summary>
    public static OperationHistory Deserialize(string json) =>
        JsonSerializer.Deserialize<OperationHistory>(json, Options) ?? throw new JsonException("The history is null.");

    /// <summary>Writes a history to a stream as JSON.</summary>
    public static void Write(Stream stream, OperationHistory history) => JsonSerializer.Serialize(stream, history, Options);

    /// <summary>Reads a history from a stream; throws <see cref="JsonException"/> when it is not one.</summary>
    public static OperationHistory Read(Stream stream) =>
        JsonSerializer.Deserialize<OperationHistory>(stream, Options) ?? throw new JsonException("The history is null.");

    /// <summary>Writes a history file, replacing any file at that path.</summary>
    public static void Save(string path, OperationHistory history)
    {
        using var stream = File.Create(path);
        Write(stream, history);
    }

    /// <summary>Reads a history file.</summary>
    public static OperationHistory Load(string path)
    {
        using var stream = File.OpenRead(path);
        return Read(stream);
    }

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            // A null key or a missing operations array is a broken file, not an empty one.
            RespectNullableAnnotations = true,
            Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false) },
        };
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
