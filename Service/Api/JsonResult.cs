using System.Text.Json;

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

    /// <summary>The ETag of a revision.</summary>
    public static string ETag(long revision) => $"\"{revision}\"";
}
