using System.Buffers.Binary;
using System.Globalization;
using GeoLedger.Storage;
using GeoLedger.Telemetry;

namespace GeoLedger.Cluster;

/// <summary>
/// Sends new entries to a member while .NEXT's heartbeat to it is on the wire. .NEXT sends each member one request at a
/// time, so a write that arrives while a heartbeat travels to the nearest follower would leave only after that
/// heartbeat's answer: up to a round trip late (in a geo cluster, 7-14% of writes that come now and then,
/// docs/performance.md). The leader's log asks for a push when it appends during such a heartbeat
/// (<see cref="LedgerLog.PushDue"/>); the push carries the entries after the index the heartbeat matched, over the Raft
/// port, and the follower appends them as an AppendEntries would and answers once they are on disk
/// (<see cref="LedgerLog.AcceptPushAsync"/>); its answer counts toward the commit like any acknowledgement. Under load
/// .NEXT's requests carry entries and no heartbeat is on the wire, so nothing is pushed. One push per member is on the
/// wire at a time; it goes on while that member's heartbeat is unanswered and entries follow. A lost or refused push
/// costs nothing: .NEXT's next request carries the entries.
/// </summary>
public sealed class EntryPush : SideChannel<string>
{
    /// <summary>The path followers serve on their Raft port.</summary>
    public const string Path = "/geoledger/push";

    /// <summary>Bytes of entries per push (at least one entry).</summary>
    private const long BatchBytes = 1024 * 1024;

    /// <summary>The largest body a follower reads (a push carries one entry when it is larger than <see cref="BatchBytes"/>).</summary>
    private const int MaxBodyBytes = 64 * 1024 * 1024;

    private const int EntryHeaderBytes = 12; // flags, command id, payload length: three little-endian int32

    private readonly LedgerLog log;
    private readonly LedgerMetrics metrics;

    /// <summary>Pushes <paramref name="log"/>'s new entries to the members <paramref name="view"/>'s .NEXT is waiting on.</summary>
    public EntryPush(ClusterView view, LedgerLog log, LedgerMetrics metrics, IHttpMessageHandlerFactory handlers)
        : base(view, handlers)
    {
        this.log = log;
        this.metrics = metrics;
        log.PushDue = Signal;
    }

    /// <inheritdoc />
    protected override IEnumerable<string> MembersDue() => log.HeartbeatsOnTheWire();

    /// <summary>Pushes to <paramref name="member"/> while .NEXT's heartbeat to it is unanswered and there is something to push.</summary>
    protected override async Task SendAsync(string member, CancellationToken token)
    {
        var acknowledged = 0L;
        try
        {
            while (!token.IsCancellationRequested && View.IsLeader)
            {
                if (log.HeartbeatOnTheWire(member) is not { } matched)
                    return; // .NEXT's heartbeat was answered: its next request carries what is left
                if (log.ReadForPush(Math.Max(matched, acknowledged), BatchBytes) is not { } batch)
                    return;
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
                deadline.CancelAfter(SendTimeout);
                using var content = new ByteArrayContent(Encode(batch.Entries));
                using var response = await Http.PostAsync(UriOf(member, batch), content, deadline.Token).ConfigureAwait(false);
                if (response.StatusCode != System.Net.HttpStatusCode.NoContent)
                {
                    metrics.EntryPushed("refused");
                    return;
                }

                metrics.EntryPushed("acknowledged");
                var last = batch.PrevIndex + batch.Entries.Count;
                log.RecordPushAcknowledgement(member, last, batch.Term);
                acknowledged = last;
            }
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or ObjectDisposedException or UriFormatException
                                       or ArgumentOutOfRangeException) // the entries were compacted away under the read
        {
            metrics.EntryPushed("failed"); // .NEXT's next request carries the entries
        }
    }

    private static Uri UriOf(string member, EntryPushBatch batch) => new(new Uri(member),
        string.Create(CultureInfo.InvariantCulture, $"{Path}?term={batch.Term}&prevIndex={batch.PrevIndex}&prevTerm={batch.PrevTerm}&count={batch.Entries.Count}"));

    /// <summary>The body of a push: per entry its flags, command id and payload length (little-endian int32), then the payload.</summary>
    internal static byte[] Encode(List<LogEntryInput> entries)
    {
        var body = new byte[entries.Sum(e => EntryHeaderBytes + e.Payload.Length)];
        var at = 0;
        foreach (var entry in entries)
        {
            BinaryPrimitives.WriteInt32LittleEndian(body.AsSpan(at), (int)entry.Flags);
            BinaryPrimitives.WriteInt32LittleEndian(body.AsSpan(at + 4), entry.CommandId);
            BinaryPrimitives.WriteInt32LittleEndian(body.AsSpan(at + 8), entry.Payload.Length);
            entry.Payload.Span.CopyTo(body.AsSpan(at + EntryHeaderBytes));
            at += EntryHeaderBytes + entry.Payload.Length;
        }

        return body;
    }

    /// <summary>Reads a push's body: exactly <paramref name="count"/> ordinary entries of <paramref name="term"/>; null when it is anything else.</summary>
    internal static List<LogEntryInput>? Decode(ReadOnlyMemory<byte> body, long term, long count)
    {
        if (count < 1 || count > body.Length / EntryHeaderBytes)
            return null;
        var entries = new List<LogEntryInput>((int)count);
        var at = 0;
        for (var i = 0; i < count; i++)
        {
            if (body.Length - at < EntryHeaderBytes)
                return null;
            var span = body.Span[at..];
            var flags = BinaryPrimitives.ReadInt32LittleEndian(span);
            var commandId = BinaryPrimitives.ReadInt32LittleEndian(span[4..]);
            var length = BinaryPrimitives.ReadInt32LittleEndian(span[8..]);
            if (flags is not ((int)LogEntryFlags.None or (int)LogEntryFlags.HasCommandId) || length < 0 || length > body.Length - at - EntryHeaderBytes)
                return null;
            entries.Add(new LogEntryInput(term, (LogEntryFlags)flags, commandId, body.Slice(at + EntryHeaderBytes, length)));
            at += EntryHeaderBytes + length;
        }

        return at == body.Length ? entries : null;
    }

    /// <summary>The follower's side: 204 when the entries are on disk, 409 when it may not take them, 400 when malformed, 413 when too large.</summary>
    public static async Task ServeAsync(HttpContext context)
    {
        var query = context.Request.Query;
        if (!TryRead(query, "term", out var term) || !TryRead(query, "prevIndex", out var prevIndex) || !TryRead(query, "prevTerm", out var prevTerm)
            || !TryRead(query, "count", out var count))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        if (context.Request.ContentLength is not { } length || length > MaxBodyBytes)
        {
            context.Response.StatusCode = context.Request.ContentLength is null ? StatusCodes.Status411LengthRequired : StatusCodes.Status413PayloadTooLarge;
            return;
        }

        var body = new byte[length];
        await context.Request.Body.ReadExactlyAsync(body, context.RequestAborted).ConfigureAwait(false);
        if (Decode(body, term, count) is not { } entries)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        var log = context.RequestServices.GetRequiredService<LedgerLog>();
        var accepted = await log.AcceptPushAsync(term, prevIndex, prevTerm, entries, context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = accepted ? StatusCodes.Status204NoContent : StatusCodes.Status409Conflict;
    }
}
