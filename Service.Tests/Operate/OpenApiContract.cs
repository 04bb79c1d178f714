using System.Text.Json;

namespace GeoLedger.Tests.Operate;

/// <summary>One documented answer: an operation's status with its media type, schema and headers.</summary>
public sealed record DocumentedResponse(string Method, string Path, int Status, string? MediaType, JsonElement? Schema, IReadOnlyList<string> Headers)
{
    /// <summary>The answer's name in failure messages and in the scenario table.</summary>
    public string Name => $"{Method} {Path} {Status}";
}

/// <summary>The OpenAPI document a node serves, read as the answers it promises, and a JSON Schema check of answers against it.</summary>
public sealed class OpenApiContract(JsonElement document)
{
    /// <summary>The document.</summary>
    public JsonElement Document => document;

    /// <summary>Every documented answer of every operation.</summary>
    public IReadOnlyList<DocumentedResponse> Responses()
    {
        var result = new List<DocumentedResponse>();
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject())
            {
                foreach (var response in operation.Value.GetProperty("responses").EnumerateObject())
                {
                    string? mediaType = null;
                    JsonElement? schema = null;
                    if (response.Value.TryGetProperty("content", out var content))
                    {
                        var only = Assert.Single(content.EnumerateObject());
                        mediaType = only.Name;
                        schema = only.Value.GetProperty("schema");
                    }

                    var headers = response.Value.TryGetProperty("headers", out var h) ? h.EnumerateObject().Select(p => p.Name).ToList() : [];
                    result.Add(new DocumentedResponse(operation.Name.ToUpperInvariant(), path.Name, int.Parse(response.Name), mediaType, schema, headers));
                }
            }
        }

        return result;
    }

    /// <summary>The ways <paramref name="value"/> breaks <paramref name="schema"/> (JSON Schema: the keywords the document uses).</summary>
    public IReadOnlyList<string> Check(JsonElement value, JsonElement schema)
    {
        var errors = new List<string>();
        Check(value, schema, "$", errors);
        return errors;
    }

    private void Check(JsonElement value, JsonElement schema, string at, List<string> errors)
    {
        if (schema.TryGetProperty("$ref", out var reference))
        {
            var name = reference.GetString()!["#/components/schemas/".Length..];
            Check(value, document.GetProperty("components").GetProperty("schemas").GetProperty(name), at, errors);
        }

        if (schema.TryGetProperty("oneOf", out var oneOf))
        {
            var matching = oneOf.EnumerateArray().Count(option => Check(value, option).Count == 0);
            if (matching != 1)
                errors.Add($"{at}: matches {matching} of the oneOf options");
        }

        if (schema.TryGetProperty("enum", out var allowed) && !allowed.EnumerateArray().Any(a => a.GetRawText() == value.GetRawText()))
            errors.Add($"{at}: {value.GetRawText()} is not one of {allowed.GetRawText()}");

        if (schema.TryGetProperty("type", out var type))
        {
            var types = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).ToList() : [type.GetString()!];
            if (!types.Any(t => IsOfType(value, t)))
            {
                errors.Add($"{at}: {value.ValueKind} is not {string.Join(" or ", types)}");
                return;
            }
        }

        if (value.ValueKind == JsonValueKind.Object)
        {
            var properties = schema.TryGetProperty("properties", out var p) ? p : default;
            if (schema.TryGetProperty("required", out var required))
            {
                foreach (var name in required.EnumerateArray().Select(r => r.GetString()!))
                {
                    if (!value.TryGetProperty(name, out _))
                        errors.Add($"{at}: required property '{name}' is missing");
                }
            }

            foreach (var property in value.EnumerateObject())
            {
                if (properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(property.Name, out var propertySchema))
                    Check(property.Value, propertySchema, $"{at}.{property.Name}", errors);
                else if (schema.TryGetProperty("additionalProperties", out var additional) && additional.ValueKind == JsonValueKind.False)
                    errors.Add($"{at}: property '{property.Name}' is not documented");
            }
        }

        if (value.ValueKind == JsonValueKind.Array && schema.TryGetProperty("items", out var items))
        {
            var i = 0;
            foreach (var item in value.EnumerateArray())
                Check(item, items, $"{at}[{i++}]", errors);
        }
    }

    private static bool IsOfType(JsonElement value, string type) => type switch
    {
        "null" => value.ValueKind == JsonValueKind.Null,
        "string" => value.ValueKind == JsonValueKind.String,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _),
        "number" => value.ValueKind == JsonValueKind.Number,
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        _ => throw new InvalidOperationException($"the checker does not know the JSON Schema type '{type}'"),
    };
}
