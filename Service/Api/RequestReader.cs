using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using DotNext.Buffers;
using GeoLedger.Ledger;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace GeoLedger.Api;

/// <summary>Turns request parts into validated values, or into the 4xx problem that says what to fix.</summary>
internal static class RequestReader
{
    /// <summary>Longest key, in UTF-8 bytes.</summary>
    public const int MaxKeyBytes = 1024;

    /// <summary>Deepest JSON nesting accepted in a body.</summary>
    public const int MaxJsonDepth = 64;

    /// <summary>The largest body read for a value of at most <paramref name="maxValueBytes"/>: room for the JSON around it and escapes.</summary>
    public static long MaxBodyBytes(int maxValueBytes) => maxValueBytes + 64L * 1024;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// The key after <paramref name="prefix"/>, percent-decoded exactly once from the raw request target
    /// (so <c>%2F</c> is a <c>/</c> in the key and <c>%25</c> a literal <c>%</c>).
    /// </summary>
    public static bool TryReadKey(HttpContext context, string prefix, string? routeValue, out string key, out IResult? error)
    {
        key = "";
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        string? encoded = null;
        if (!string.IsNullOrEmpty(raw) && raw.All(char.IsAscii))
        {
            var path = raw.Split('?', 2)[0];
            if (path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                encoded = path[prefix.Length..];
        }

        if (encoded is null)
        {
            key = routeValue ?? "";
        }
        else if (!TryPercentDecode(encoded, out key))
        {
            error = Problems.BadRequest("Malformed key: fix its percent-encoding", "The key must be valid UTF-8 after percent-decoding, with every '%' followed by two hex digits.");
            return false;
        }

        return ValidateKey(key, out error);
    }

    /// <summary>
    /// Checks the key rules: 1..1024 UTF-8 bytes, no control characters, Unicode NFC. Keys are compared byte by byte,
    /// so "café" typed on one system and on another must arrive as the same bytes: a key in any other normal form is
    /// refused rather than silently changed (the answer's key is always exactly the key that was sent).
    /// </summary>
    public static bool ValidateKey(string key, out IResult? error) => ValidateKey(key, requireNfc: true, out error);

    /// <summary>The key rules, with NFC optional: a paging position (<c>after</c>) may be a key stored before the rule.</summary>
    public static bool ValidateKey(string key, bool requireNfc, out IResult? error)
    {
        error = null;
        var bytes = Encoding.UTF8.GetByteCount(key);
        if (bytes == 0)
            error = Problems.BadRequest("Empty key: name a key after /v1/kv/", "Keys are 1 to 1024 bytes of UTF-8.");
        else if (bytes > MaxKeyBytes)
            error = Problems.BadRequest("Key too long: use at most 1024 bytes", $"The key is {bytes} bytes of UTF-8; the limit is {MaxKeyBytes}.");
        else if (key.Any(char.IsControl))
            error = Problems.BadRequest("Key has a control character: remove it", "Keys may not contain control characters (U+0000-U+001F, U+007F-U+009F).");
        else if (key.Any(char.IsSurrogate) && !IsWellFormedUtf16(key))
            error = Problems.BadRequest("Key is not valid Unicode: fix its encoding", "The key contains a lone surrogate.");
        else if (requireNfc && !key.IsNormalized(NormalizationForm.FormC))
            error = Problems.BadRequest("Key is not in Unicode NFC: normalize it (NFC) before sending", "Keys are compared byte by byte and must be in Normalization Form C, so that one text is always one key (\"e\" + U+0301 is sent as \"\u00e9\").");
        return error is null;
    }

    /// <summary>Reads <c>?consistency=</c> (default linearizable).</summary>
    public static bool TryReadConsistency(HttpContext context, out Consistency consistency, out IResult? error)
    {
        consistency = Consistency.Linearizable;
        error = null;
        var values = context.Request.Query["consistency"];
        if (values.Count == 0)
            return true;
        if (values.Count > 1)
        {
            error = Problems.BadRequest("Give consistency once", "Use ?consistency=linearizable or ?consistency=local, not both.");
            return false;
        }

        switch (values[0]?.ToLowerInvariant())
        {
            case "linearizable":
                return true;
            case "local":
                consistency = Consistency.Local;
                return true;
            default:
                error = Problems.BadRequest("Unknown consistency level: use linearizable or local", $"'{values[0]}' is not a consistency level.");
                return false;
        }
    }

    /// <summary>Reads <c>If-Match</c> / <c>If-None-Match</c> into a precondition for a write.</summary>
    public static bool TryReadPrecondition(HttpContext context, bool allowCreateOnly, out Precondition precondition, out IResult? error)
    {
        precondition = Precondition.None;
        error = null;
        var ifMatch = context.Request.Headers.IfMatch;
        var ifNoneMatch = context.Request.Headers.IfNoneMatch;
        if (ifMatch.Count > 0 && ifNoneMatch.Count > 0)
        {
            error = Problems.BadRequest("Conflicting preconditions: send If-Match or If-None-Match, not both");
            return false;
        }

        if (ifNoneMatch.Count > 0)
        {
            if (!allowCreateOnly || ifNoneMatch.Count != 1 || ifNoneMatch[0]?.Trim() != "*")
            {
                error = Problems.BadRequest(
                    allowCreateOnly ? "If-None-Match on a write must be *" : "If-None-Match is not allowed here",
                    allowCreateOnly ? "Send If-None-Match: * to create the key only if it does not exist." : "Use If-Match: \"<revision>\" on a delete.");
                return false;
            }

            precondition = new Precondition(PreconditionKind.Absent);
            return true;
        }

        if (ifMatch.Count == 0)
            return true;
        var text = string.Join(',', ifMatch.ToArray()).Trim();
        if (text == "*")
        {
            precondition = new Precondition(PreconditionKind.Exists);
            return true;
        }

        if (!TryParseRevisionETag(text, out var revision))
        {
            error = Problems.BadRequest("Malformed If-Match: send one revision as \"<revision>\"", $"'{text}' is not a single strong ETag such as \"42\" (or *).");
            return false;
        }

        precondition = new Precondition(PreconditionKind.RevisionEquals, revision);
        return true;
    }

    /// <summary>Parses a strong ETag <c>"123"</c> holding a positive revision.</summary>
    public static bool TryParseRevisionETag(string text, out long revision)
    {
        revision = 0;
        text = text.Trim();
        return text.Length >= 3 && text[0] == '"' && text[^1] == '"'
            && long.TryParse(text.AsSpan(1, text.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out revision)
            && revision > 0;
    }

    /// <summary>
    /// Reads a JSON object body holding exactly the property <paramref name="property"/>, whose value
    /// is returned as minified UTF-8 JSON text. Enforces the content type, the size limit and the depth.
    /// </summary>
    public static async Task<(byte[]? Value, IResult? Error)> ReadJsonPropertyAsync(HttpContext context, string property, int maxValueBytes, Func<JsonElement, IResult?>? check = null)
    {
        var (body, error) = await ReadJsonBodyAsync(
            context,
            MaxBodyBytes(maxValueBytes),
            $"{{\"{property}\": <any JSON>}}",
            length => Problems.TooLarge("Body too large: send a smaller value", length is { } l ? $"The body is {l} bytes; values may be at most {maxValueBytes} bytes." : $"Values may be at most {maxValueBytes} bytes."));
        if (error is not null)
            return (null, error);
        using (body)
        {
            try
            {
                return ReadProperty(body!.Document.RootElement, property, maxValueBytes, body.Bytes, check);
            }
            catch (InvalidOperationException)
            {
                // System.Text.Json parses "\ud800" but throws when it unescapes a lone surrogate (to compare a name or write the value).
                return (null, LoneSurrogate);
            }
        }
    }

    /// <summary>The answer to a body whose JSON holds a lone surrogate escape (System.Text.Json throws InvalidOperationException on it).</summary>
    public static IResult LoneSurrogate => Problems.BadRequest("Malformed JSON: a string holds a lone surrogate escape", "A \\uD800-\\uDFFF escape must be a complete surrogate pair; JSON strings must be valid Unicode.");

    /// <summary>
    /// Reads a JSON body of at most <paramref name="limit"/> bytes and parses it: the content type, the size (answered by
    /// <paramref name="tooLarge"/>, given the declared length when known), the UTF-8 and the depth are checked.
    /// <paramref name="shape"/> tells a client with malformed JSON what to send.
    /// </summary>
    public static async Task<(JsonBody? Body, IResult? Error)> ReadJsonBodyAsync(HttpContext context, long limit, string shape, Func<long?, IResult> tooLarge)
    {
        var request = context.Request;
        if (string.IsNullOrEmpty(request.ContentType))
            return (null, Problems.UnsupportedMediaType("The request has no Content-Type; send the body as application/json."));
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || !mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
            return (null, Problems.UnsupportedMediaType($"Content-Type '{request.ContentType}' is not application/json."));
        if (mediaType.Charset.HasValue && !mediaType.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
            return (null, Problems.UnsupportedMediaType($"Charset '{mediaType.Charset}' is not supported; JSON bodies are UTF-8."));

        if (request.Headers.ContentEncoding is { Count: > 0 } encoding && !(encoding.Count == 1 && string.Equals(encoding[0]?.Trim(), "identity", StringComparison.OrdinalIgnoreCase)))
            return (null, TypedResults.Problem($"Content-Encoding '{encoding}' is not supported; nothing was stored.", statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Send the body uncompressed, without Content-Encoding"));

        if (request.ContentLength > limit)
            return (null, tooLarge(request.ContentLength));

        // Pooled: a large value's body is not a new large array per request (JsonBody returns it). Read straight into
        // it; a declared length leaves one byte free, so reading the end of the body never grows it.
        var body = new PoolingArrayBufferWriter<byte> { Capacity = (int)Math.Min(limit, request.ContentLength ?? 4096) + 1 };
        JsonDocument? document = null;
        try
        {
            try
            {
                int read;
                while ((read = await request.Body.ReadAsync(body.GetMemory(1), context.RequestAborted).ConfigureAwait(false)) > 0)
                {
                    body.Advance(read);
                    if (body.WrittenCount > limit)
                        return (null, tooLarge(null));
                }
            }
            catch (Exception e) when (e is IOException and not BadHttpRequestException or InvalidOperationException)
            {
                // Kestrel reports some broken chunked framing this way, not as a BadHttpRequestException: a chunk size
                // that overflows (IOException), a NUL in a trailer (InvalidOperationException).
                return (null, Problems.BadRequest("Malformed request body: fix its framing", e.Message));
            }

            // System.Text.Json does not check the UTF-8 inside strings, and the value would be stored and served as it came.
            if (!System.Text.Unicode.Utf8.IsValid(body.WrittenMemory.Span))
                return (null, Problems.BadRequest("Body is not valid UTF-8: fix its encoding", "JSON bodies are UTF-8 (RFC 8259); this one holds a byte sequence that is not."));

            try
            {
                document = JsonDocument.Parse(body.WrittenMemory, new JsonDocumentOptions { MaxDepth = MaxJsonDepth });
            }
            catch (JsonException e)
            {
                return (null, Problems.BadRequest("Malformed JSON: fix the request body", $"{e.Message} The body must be {shape}, nested at most {MaxJsonDepth} deep."));
            }

            return (new JsonBody(document, body), null);
        }
        finally
        {
            if (document is null)
                body.Dispose();
        }
    }

    /// <summary>A parsed request body; disposing it returns the pooled bytes the document reads from.</summary>
    public sealed class JsonBody(JsonDocument document, PoolingArrayBufferWriter<byte> bytes) : IDisposable
    {
        /// <summary>The parsed JSON (valid until this is disposed).</summary>
        public JsonDocument Document => document;

        /// <summary>Length of the body in bytes.</summary>
        public int Bytes => bytes.WrittenCount;

        /// <inheritdoc />
        public void Dispose()
        {
            document.Dispose();
            bytes.Dispose();
        }
    }

    private static (byte[]? Value, IResult? Error) ReadProperty(JsonElement root, string property, int maxValueBytes, int bodyBytes, Func<JsonElement, IResult?>? check)
    {
        if (root.ValueKind != JsonValueKind.Object)
            return (null, Problems.BadRequest($"Body must be a JSON object: {{\"{property}\": ...}}", $"The body is a JSON {root.ValueKind.ToString().ToLowerInvariant()}."));
        JsonElement? found = null;
        foreach (var p in root.EnumerateObject())
        {
            if (p.NameEquals(property) && found is null)
                found = p.Value;
            else
                return (null, Problems.BadRequest($"Body must hold only \"{property}\"", $"Unexpected or repeated property '{p.Name}'."));
        }

        if (found is not { } value)
            return (null, Problems.BadRequest($"Body is missing \"{property}\"", $"Send {{\"{property}\": <value>}}."));
        if (check?.Invoke(value) is { } invalid)
            return (null, invalid);

        var minified = Minify(value, bodyBytes);
        if (minified.Length > maxValueBytes)
            return (null, Problems.TooLarge("Value too large: send a smaller value", $"The value is {minified.Length} bytes of minified JSON; the limit (Ledger:MaxValueBytes) is {maxValueBytes}."));
        return (minified, null);
    }

    /// <summary>
    /// A JSON value as the minified UTF-8 text it is stored as. The relaxed encoder escapes only what JSON requires, so
    /// text is stored (and counted) as the UTF-8 it was sent as; the default one would turn every non-ASCII or HTML
    /// character into a 6-byte \uXXXX escape.
    /// </summary>
    /// <exception cref="InvalidOperationException">A string holds a lone surrogate escape.</exception>
    public static byte[] Minify(JsonElement value, int sizeHint = 256)
    {
        using var output = new PoolingArrayBufferWriter<byte> { Capacity = Math.Max(sizeHint, 1) };
        using (var writer = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = false, SkipValidation = true, MaxDepth = MaxJsonDepth + 1, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            value.WriteTo(writer);
        return output.WrittenMemory.ToArray();
    }

    private static bool TryPercentDecode(string encoded, out string decoded)
    {
        decoded = "";
        if (!encoded.Contains('%'))
        {
            decoded = encoded;
            return true;
        }

        var bytes = new List<byte>(encoded.Length);
        Span<byte> utf8 = stackalloc byte[4];
        for (var i = 0; i < encoded.Length; i++)
        {
            var c = encoded[i];
            if (c == '%')
            {
                if (i + 2 >= encoded.Length || !byte.TryParse(encoded.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var b))
                    return false;
                bytes.Add(b);
                i += 2;
            }
            else
            {
                var n = Encoding.UTF8.GetBytes([c], utf8);
                for (var j = 0; j < n; j++)
                    bytes.Add(utf8[j]);
            }
        }

        try
        {
            decoded = StrictUtf8.GetString(bytes.ToArray());
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    private static bool IsWellFormedUtf16(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                i++;
            else if (char.IsSurrogate(s[i]))
                return false;
        }

        return true;
    }
}
