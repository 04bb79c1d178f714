using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using GeoLedger.Ledger;

namespace GeoLedger.Api;

/// <summary>
/// Writes a JSON answer to the response in slices, waiting after each until the connection has taken it: a client that
/// reads slowly (or never) holds one slice of the node's memory, not a whole value or page. Values are copied in as the
/// JSON text they are stored as; keys and numbers go through <see cref="Utf8JsonWriter"/>, escaped as everywhere else.
/// </summary>
internal sealed class StreamedJson : IAsyncDisposable
{
    /// <summary>Bytes written before waiting for the client; Kestrel's response buffer holds 64 KiB.</summary>
    private const int SliceBytes = 32 * 1024;

    private static readonly byte[] KeyStart = "{\"key\":"u8.ToArray();
    private static readonly byte[] ValueName = ",\"value\":"u8.ToArray();
    private static readonly byte[] RevisionName = ",\"revision\":"u8.ToArray();
    private static readonly byte[] ObjectEnd = "}"u8.ToArray();

    private readonly HttpResponse response;
    private readonly PipeWriter pipe;
    private readonly CancellationToken token;
    private readonly ArrayBufferWriter<byte> text = new(256);
    private readonly Utf8JsonWriter json;
    private int pending;

    private StreamedJson(HttpContext context)
    {
        response = context.Response;
        pipe = context.Response.BodyWriter;
        token = context.RequestAborted;
        json = new Utf8JsonWriter(text, new JsonWriterOptions { SkipValidation = true });
    }

    /// <summary>False once the client has gone: stop writing.</summary>
    public bool Open { get; private set; } = true;

    /// <summary>Starts a 200 JSON answer.</summary>
    public static StreamedJson Start(HttpContext context, string? etag = null)
    {
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json; charset=utf-8";
        if (etag is not null)
            context.Response.Headers.ETag = etag;
        return new StreamedJson(context);
    }

    /// <summary>Writes JSON text as it is.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> bytes)
    {
        while (Open && !bytes.IsEmpty)
        {
            var slice = bytes[..Math.Min(bytes.Length, SliceBytes - pending)];
            pipe.Write(slice.Span);
            pending += slice.Length;
            bytes = bytes[slice.Length..];
            if (pending == SliceBytes)
                await FlushAsync();
        }
    }

    /// <summary>Writes a JSON string.</summary>
    public ValueTask WriteStringAsync(string value) => WriteAsync(Json(w => w.WriteStringValue(value)));

    /// <summary>Writes a JSON number.</summary>
    public ValueTask WriteNumberAsync(long value) => WriteAsync(Json(w => w.WriteNumberValue(value)));

    /// <summary>Writes <c>{key, value, revision}</c> (an item of a list).</summary>
    public ValueTask WriteEntryAsync(LedgerEntry entry) => WriteEntryAsync(entry, wholeAnswer: false);

    /// <summary>
    /// Writes <c>{key, value, revision}</c> as the whole answer, with its length given first: the answer leaves in one write
    /// instead of chunks and a closing chunk (one send, not two, for the answer to every write and key read).
    /// </summary>
    public ValueTask WriteOnlyEntryAsync(LedgerEntry entry) => WriteEntryAsync(entry, wholeAnswer: true);

    private async ValueTask WriteEntryAsync(LedgerEntry entry, bool wholeAnswer)
    {
        var key = Json(w => w.WriteStringValue(entry.Key)).ToArray();
        var revision = Json(w => w.WriteNumberValue(entry.Revision)).ToArray();
        if (wholeAnswer)
            response.ContentLength = KeyStart.Length + key.Length + ValueName.Length + entry.Value.Length + RevisionName.Length + revision.Length + ObjectEnd.Length;
        await WriteAsync(KeyStart);
        await WriteAsync(key);
        await WriteAsync(ValueName);
        await WriteAsync(entry.Value);
        await WriteAsync(RevisionName);
        await WriteAsync(revision);
        await WriteAsync(ObjectEnd);
    }

    /// <summary>Hands what is written to the connection and waits until it has room again.</summary>
    public async ValueTask FlushAsync()
    {
        pending = 0;
        if (!Open)
            return;
        var flushed = await pipe.FlushAsync(token);
        Open = !flushed.IsCanceled && !flushed.IsCompleted;
    }

    public async ValueTask DisposeAsync()
    {
        await FlushAsync();
        await json.DisposeAsync();
    }

    private ReadOnlyMemory<byte> Json(Action<Utf8JsonWriter> write)
    {
        text.ResetWrittenCount();
        json.Reset();
        write(json);
        json.Flush();
        return text.WrittenMemory;
    }
}
