namespace GeoLedger.Tests.Hostile;

/// <summary>
/// One generated hostile request. <see cref="IsWrite"/> requests carry at least one defect the service
/// must refuse (a bad token, key, precondition, content type, body or framing), so none may succeed.
/// </summary>
public abstract record HostileRequest(string Class, string Description, bool IsWrite)
{
    /// <summary>
    /// The request claims an HTTP version Kestrel does not speak on this connection; RFC 9110 §15.6.6
    /// gives 505 for that, and Kestrel sends it before any GeoLedger code runs.
    /// </summary>
    public bool MayAnswerVersionNotSupported { get; init; }
}

/// <summary>A request HttpClient can send: the path is sent exactly as written (no canonicalization).</summary>
public sealed record ClientRequest(
    string Class,
    string Description,
    bool IsWrite,
    string Method,
    string PathAndQuery,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    byte[]? Body,
    string? ContentType,
    bool Chunked = false,
    string? ContentEncoding = null) : HostileRequest(Class, Description, IsWrite);

/// <summary>Bytes written to a socket, with a pause after each segment (a slow client trickles them).</summary>
public sealed record RawRequest(
    string Class,
    string Description,
    bool IsWrite,
    IReadOnlyList<RawSegment> Segments) : HostileRequest(Class, Description, IsWrite)
{
    /// <summary>
    /// Half-close after sending, for requests Kestrel would otherwise wait on (a truncated body, bytes that
    /// never end a line). Kestrel takes the half-close as the client leaving and mostly closes without
    /// answering, so the others end with <c>Connection: close</c> instead and their answer is read.
    /// </summary>
    public bool CloseSendSide { get; init; }

    /// <summary>Total pause time: the trickled requests are the slow ones.</summary>
    public TimeSpan Pauses => TimeSpan.FromTicks(Segments.Sum(s => s.PauseAfter.Ticks));
}

/// <summary>Some bytes and how long to wait before the next ones.</summary>
public sealed record RawSegment(byte[] Bytes, TimeSpan PauseAfter);
