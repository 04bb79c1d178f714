using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using GeoLedger.Ledger;
using GeoLedger.Ledger.Watch;

namespace GeoLedger.Watch;

/// <summary>
/// The event stream of one watch. Each revision with changes under the prefix is one <c>change</c> event whose
/// <c>id</c> is the revision (a transaction's changes arrive together, so a resume after an id never splits one).
/// With nothing to send, a <c>progress</c> event carries the current revision, its id the revision through which
/// everything was sent. A watch that falls behind the node's history ends with a <c>gone</c> event (a resume gets 410).
/// </summary>
internal sealed class WatchStream(LedgerStore store, string prefix, long from, TimeSpan progressInterval) : IResult
{
    public async Task ExecuteAsync(HttpContext context)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no"; // a proxy in front must not hold events back
        var token = context.RequestAborted;
        var text = new ArrayBufferWriter<byte>(4096);
        try
        {
            await WriteAsync(response, text, $": watching from revision {from}\n\n", token);
            var lastSent = Stopwatch.GetTimestamp();
            while (!token.IsCancellationRequested)
            {
                var next = store.NextPublished; // before the look, so that a version published in between wakes the wait
                var through = store.Revision;
                if (through >= from)
                {
                    if (store.History.Read(from, through, prefix) is not { } changes)
                    {
                        await WriteAsync(response, text, $"event: gone\ndata: {{\"oldestRevision\":{store.History.OldestAvailable}}}\n\n", token);
                        return;
                    }

                    if (changes.Count > 0)
                    {
                        WriteChanges(text, changes);
                        await FlushAsync(response, text, token);
                        lastSent = Stopwatch.GetTimestamp();
                    }

                    from = through + 1;
                }

                var idle = progressInterval - Stopwatch.GetElapsedTime(lastSent);
                if (idle <= TimeSpan.Zero)
                {
                    await WriteAsync(response, text, $"id: {from - 1}\nevent: progress\ndata: {{\"revision\":{store.Revision}}}\n\n", token);
                    lastSent = Stopwatch.GetTimestamp();
                    continue;
                }

                await Task.WhenAny(next, Task.Delay(idle, token));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The client went away.
        }
    }

    private static void WriteChanges(ArrayBufferWriter<byte> text, List<Change> changes)
    {
        using var json = new Utf8JsonWriter(text, new JsonWriterOptions { SkipValidation = true });
        for (var i = 0; i < changes.Count;)
        {
            var revision = changes[i].Revision;
            json.Flush();
            text.Write(System.Text.Encoding.UTF8.GetBytes($"id: {revision}\nevent: change\ndata: "));
            json.Reset();
            json.WriteStartObject();
            json.WriteNumber("revision", revision);
            json.WriteStartArray("changes");
            for (; i < changes.Count && changes[i].Revision == revision; i++)
            {
                var change = changes[i];
                json.WriteStartObject();
                json.WriteString("type", change.Kind == ChangeKind.Put ? "put" : "delete");
                json.WriteString("key", change.Key);
                if (change.Kind == ChangeKind.Put)
                {
                    json.WritePropertyName("value");
                    json.WriteRawValue(change.Value, skipInputValidation: true); // stored as minified JSON: no line breaks
                }

                json.WriteNumber("revision", revision);
                json.WriteNumber("previousRevision", change.PreviousRevision);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.Flush();
            text.Write("\n\n"u8);
        }
    }

    private static async Task WriteAsync(HttpResponse response, ArrayBufferWriter<byte> text, string message, CancellationToken token)
    {
        text.Write(System.Text.Encoding.UTF8.GetBytes(message));
        await FlushAsync(response, text, token);
    }

    private static async Task FlushAsync(HttpResponse response, ArrayBufferWriter<byte> text, CancellationToken token)
    {
        await response.Body.WriteAsync(text.WrittenMemory, token);
        await response.Body.FlushAsync(token);
        text.ResetWrittenCount();
    }
}
