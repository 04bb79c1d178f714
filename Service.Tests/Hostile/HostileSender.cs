using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace GeoLedger.Tests.Hostile;

/// <summary>What came back: the status codes of every response seen, or what happened to the connection instead.</summary>
/// <param name="Statuses">Status codes in order (several for pipelined requests, a 100 before a final one).</param>
/// <param name="Connection">Null when a response was read; else <c>closed</c>, <c>reset</c>, <c>non-http</c> or <c>timeout</c>.</param>
public sealed record HostileOutcome(IReadOnlyList<int> Statuses, string? Connection)
{
    /// <summary>Histogram labels: one per status, or the connection's fate.</summary>
    public IEnumerable<string> Labels => Statuses.Count > 0 ? Statuses.Select(s => s.ToString(System.Globalization.CultureInfo.InvariantCulture)) : [Connection ?? "none"];
}

/// <summary>Sends hostile requests to one node: through HttpClient, or as raw bytes on a socket where HttpClient refuses.</summary>
public sealed partial class HostileSender(Uri node, HttpClient http, TimeSpan answerTimeout)
{
    public async Task<HostileOutcome> SendAsync(HostileRequest request) => request switch
    {
        ClientRequest c => await SendClientAsync(c),
        RawRequest r => await SendRawAsync(r),
        _ => throw new ArgumentException($"unknown request kind {request.GetType().Name}", nameof(request)),
    };

    private async Task<HostileOutcome> SendClientAsync(ClientRequest request)
    {
        var uri = new Uri(node.GetLeftPart(UriPartial.Authority) + request.PathAndQuery, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), uri);
        foreach (var (name, value) in request.Headers)
            message.Headers.TryAddWithoutValidation(name, value);
        if (request.Body is not null)
        {
            var content = new ByteArrayContent(request.Body);
            if (request.ContentType is not null)
                content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
            if (request.ContentEncoding is not null)
                content.Headers.TryAddWithoutValidation("Content-Encoding", request.ContentEncoding);
            if (request.Chunked)
            {
                message.Headers.TransferEncodingChunked = true;
                content.Headers.ContentLength = null;
            }

            message.Content = content;
        }

        using var deadline = new CancellationTokenSource(answerTimeout);
        try
        {
            using var response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
            // Drain the answer so the connection is reused cleanly.
            await response.Content.CopyToAsync(Stream.Null, deadline.Token);
            return new HostileOutcome([(int)response.StatusCode], null);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return new HostileOutcome([], "timeout");
        }
        catch (HttpRequestException)
        {
            // The server closed or reset the connection (e.g. while a refused body was still being sent).
            return new HostileOutcome([], "reset");
        }
    }

    private async Task<HostileOutcome> SendRawAsync(RawRequest request)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var deadline = new CancellationTokenSource(answerTimeout + request.Pauses);
        var received = new MemoryStream();
        var reset = false;
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(node.Host), node.Port), deadline.Token);
            var reader = ReadAllAsync(socket, received, deadline.Token);
            try
            {
                foreach (var segment in request.Segments)
                {
                    await socket.SendAsync(segment.Bytes, SocketFlags.None, deadline.Token);
                    if (segment.PauseAfter > TimeSpan.Zero)
                        await Task.Delay(segment.PauseAfter, deadline.Token); // a deliberately slow client, not a wait for a condition
                    if (reader.IsCompleted)
                        break; // the server answered (and closed) before we finished
                }

                if (request.CloseSendSide && !reader.IsCompleted)
                    socket.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
                reset = true; // the server stopped listening to us; what it answered is still read below
            }

            reset |= !await reader;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return Parse(received, "timeout");
        }

        return Parse(received, reset ? "reset" : "closed");
    }

    /// <summary>Reads until the server closes; false when the connection was reset.</summary>
    private static async Task<bool> ReadAllAsync(Socket socket, MemoryStream into, CancellationToken token)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, token)) > 0)
                into.Write(buffer, 0, read);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static HostileOutcome Parse(MemoryStream received, string fate)
    {
        if (received.Length == 0)
            return new HostileOutcome([], fate);
        var text = Encoding.Latin1.GetString(received.GetBuffer(), 0, (int)received.Length);
        var statuses = StatusLine().Matches(text).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        return statuses.Count > 0 ? new HostileOutcome(statuses, null) : new HostileOutcome([], fate == "timeout" ? "timeout" : "non-http");
    }

    [GeneratedRegex(@"(?m)^HTTP/1\.[01] (\d{3})")]
    private static partial Regex StatusLine();
}
