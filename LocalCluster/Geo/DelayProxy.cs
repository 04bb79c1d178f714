using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;

namespace GeoLedger.LocalCluster.Geo;

/// <summary>
/// A TCP proxy on loopback that forwards every connection to one target and delays each direction by
/// a one-way delay, as a link between two regions would (there is no <c>tc netem</c> here). Bytes are
/// time-stamped when they arrive and released at arrival + delay, in order, so the delay adds latency
/// without serializing throughput. A half-close or close travels on with the same delay; a reset
/// closes both sides at once.
/// </summary>
public sealed class DelayProxy : IAsyncDisposable
{
    private const int ChunkBytes = 64 * 1024;
    private const int MaxHeadBytes = 16 * 1024;
    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();
    private static readonly long SpinTicks = Stopwatch.Frequency / 500; // the last 2 ms of a wait
    private readonly Socket listener;
    private readonly EndPoint target;
    private readonly Func<string, TimeSpan>? delayForHead;
    private readonly CancellationTokenSource stopping = new();
    private readonly ConcurrentDictionary<Socket, byte> open = new();
    private readonly Task accepting;
    private int accepted;

    private DelayProxy(EndPoint target, TimeSpan delay, Func<string, TimeSpan>? delayForHead, int port)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        this.target = target;
        Delay = delay;
        this.delayForHead = delayForHead;
        listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
            listener.Listen(512);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        Port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        accepting = Task.Run(AcceptAsync);
    }

    /// <summary>The loopback port the proxy listens on.</summary>
    public int Port { get; }

    /// <summary>The proxy as a base URL (<c>http://127.0.0.1:port/</c>).</summary>
    public Uri Url => new($"http://127.0.0.1:{Port}/");

    /// <summary>The one-way delay of each direction (for a sniffing proxy: the delay when the head names no one).</summary>
    public TimeSpan Delay { get; }

    /// <summary>Connections accepted so far.</summary>
    public int Accepted => Volatile.Read(ref accepted);

    /// <summary>Starts a proxy on 127.0.0.1:<paramref name="port"/> (0: any free port) to <paramref name="target"/>, delaying each direction by <paramref name="delay"/>.</summary>
    public static DelayProxy Start(EndPoint target, TimeSpan delay, int port = 0) => new(target, delay, null, port);

    /// <summary>
    /// Starts a proxy whose delay is chosen per connection from the head of the first HTTP request on it
    /// (request line and headers, e.g. who sends it), for peers that all dial one address;
    /// <paramref name="fallback"/> when no head arrives within 5 s.
    /// </summary>
    public static DelayProxy StartSniffing(EndPoint target, Func<string, TimeSpan> delayForHead, TimeSpan fallback, int port = 0) =>
        new(target, fallback, delayForHead, port);

    /// <summary>Stops listening and closes every connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        listener.Dispose();
        foreach (var socket in open.Keys)
            socket.Dispose();
        try
        {
            await accepting.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            Interlocked.Increment(ref accepted);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(Socket client)
    {
        client.NoDelay = true;
        using var server = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        open[client] = 0;
        open[server] = 0;
        using var broken = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
        try
        {
            await server.ConnectAsync(target, broken.Token).ConfigureAwait(false);
            var (delay, head, headAt) = delayForHead is null ? (Delay, default(ArraySegment<byte>), 0L) : await SniffAsync(client, broken.Token).ConfigureAwait(false);
            var up = PumpAsync(client, server, delay, head, headAt, broken);
            var down = PumpAsync(server, client, delay, default, 0, broken);
            await Task.WhenAll(up, down).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // the target refused, a side reset, or the proxy stops: both sides close now
        }
        finally
        {
            open.TryRemove(client, out _);
            open.TryRemove(server, out _);
            client.Dispose();
        }
    }

    // Reads until the end of the first request's head (or 16 KiB, or 5 s) and picks the delay from it.
    private async Task<(TimeSpan Delay, ArraySegment<byte> Head, long At)> SniffAsync(Socket client, CancellationToken token)
    {
        var buffer = new byte[MaxHeadBytes];
        var length = 0;
        long at = 0;
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(token);
        patience.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            while (length < buffer.Length && buffer.AsSpan(0, length).IndexOf(HeadEnd) < 0)
            {
                var n = await client.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, patience.Token).ConfigureAwait(false);
                if (n == 0)
                    break;
                if (length == 0)
                    at = Stopwatch.GetTimestamp();
                length += n;
            }
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            // no head in time: forward what came with the fallback delay
        }

        var delay = length > 0 ? delayForHead!(Encoding.Latin1.GetString(buffer, 0, length)) : Delay;
        return (delay, new ArraySegment<byte>(buffer, 0, length), at);
    }

    // One direction: a reader stamps chunks as they arrive, a writer releases each at its stamp + delay.
    private static async Task PumpAsync(Socket from, Socket to, TimeSpan delay, ArraySegment<byte> first, long firstAt, CancellationTokenSource broken)
    {
        var queue = Channel.CreateBounded<Chunk>(new BoundedChannelOptions(1024) { SingleReader = true, SingleWriter = true });
        var writing = ReleaseAsync(queue.Reader, to, delay, broken);
        try
        {
            if (first.Count > 0)
            {
                var copy = ArrayPool<byte>.Shared.Rent(first.Count);
                first.AsSpan().CopyTo(copy);
                await queue.Writer.WriteAsync(new Chunk(copy, first.Count, firstAt), broken.Token).ConfigureAwait(false);
            }

            while (true)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
                var n = await from.ReceiveAsync(buffer.AsMemory(), SocketFlags.None, broken.Token).ConfigureAwait(false);
                var at = Stopwatch.GetTimestamp();
                await queue.Writer.WriteAsync(new Chunk(buffer, n, at), broken.Token).ConfigureAwait(false);
                if (n == 0)
                    break; // end of stream: the writer half-closes the other side after the delay
            }

            queue.Writer.Complete();
        }
        catch (Exception e)
        {
            queue.Writer.TryComplete(e);
            await broken.CancelAsync().ConfigureAwait(false);
            from.Dispose();
            to.Dispose();
            throw;
        }
        finally
        {
            await writing.ConfigureAwait(false);
        }
    }

    private static async Task ReleaseAsync(ChannelReader<Chunk> queue, Socket to, TimeSpan delay, CancellationTokenSource broken)
    {
        var delayTicks = (long)(delay.TotalSeconds * Stopwatch.Frequency);
        try
        {
            await foreach (var chunk in queue.ReadAllAsync(broken.Token).ConfigureAwait(false))
            {
                try
                {
                    await WaitUntilAsync(chunk.At + delayTicks, broken.Token).ConfigureAwait(false);
                    if (chunk.Length == 0)
                    {
                        to.Shutdown(SocketShutdown.Send);
                        return;
                    }

                    var sent = 0;
                    while (sent < chunk.Length)
                        sent += await to.SendAsync(chunk.Buffer.AsMemory(sent, chunk.Length - sent), SocketFlags.None, broken.Token).ConfigureAwait(false);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(chunk.Buffer);
                }
            }
        }
        catch (Exception)
        {
            // a side reset or the proxy stops: the other direction ends too
            await broken.CancelAsync().ConfigureAwait(false);
            to.Dispose();
        }
    }

    // A timer sleeps until about 2 ms before the release and a spin does the rest: timers fire up to a
    // millisecond late, which would add ~1 ms to every delayed direction (10% of a 20 ms link).
    private static async Task WaitUntilAsync(long due, CancellationToken token)
    {
        var coarse = due - SpinTicks - Stopwatch.GetTimestamp();
        if (coarse > 0)
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Floor(coarse * 1000.0 / Stopwatch.Frequency)), token).ConfigureAwait(false);
        while (Stopwatch.GetTimestamp() < due)
        {
            token.ThrowIfCancellationRequested();
            Thread.SpinWait(64);
        }
    }

    private readonly record struct Chunk(byte[] Buffer, int Length, long At);
}
