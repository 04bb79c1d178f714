using System.Text.Json;
using GeoLedger.Ledger;

namespace GeoLedger.Api;

/// <summary>
/// A 200 JSON response written straight to the body; values are copied in as the JSON text they
/// are stored as, never re-parsed.
/// </summary>
internal sealed class JsonResult(Action<Utf8JsonWriter> write, string? etag = null) : IResult
{
    public async Task ExecuteAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=utf-8";
        if (etag is not null)
            context.Response.Headers.ETag = etag;
        await using var writer = new Utf8JsonWriter(context.Response.BodyWriter, new JsonWriterOptions { SkipValidation = true });
        write(writer);
        await writer.FlushAsync(context.RequestAborted);
    }

    /// <summary><c>{key, value, revision}</c> with <c>ETag: "revision"</c>.</summary>
    public static JsonResult Entry(LedgerEntry entry) => new(w => WriteEntry(w, entry), ETag(entry.Revision));

    /// <summary>The ETag of a revision.</summary>
    public static string ETag(long revision) => $"\"{revision}\"";

    /// <summary>Writes <c>{key, value, revision}</c>.</summary>
    public static void WriteEntry(Utf8JsonWriter writer, LedgerEntry entry)
    {
        writer.WriteStartObject();
        writer.WriteString("key", entry.Key);
        writer.WritePropertyName("value");
        writer.WriteRawValue(entry.Value, skipInputValidation: true);
        writer.WriteNumber("revision", entry.Revision);
        writer.WriteEndObject();
    }
}
