using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;

namespace GeoLedger.LocalCluster.Geo;

/// <summary>
/// A TCP proxy on loopback that forwards every connection to one target and delays each direction by
/// a one-way delay, as a link between two regions would (there is no <c>tc netem</c> here). Bytes are
/// time-stamped when they arrive (the kernel's receive stamps, <see cref="ArrivalStamps"/>) and released
/// at arrival + delay, in order, so the delay adds latency without serializing throughput. A half-close
/// or close travels on with the same delay; a reset closes both sides at once. Started <see cref="StartWithDatagrams">with datagrams</see>, it also relays UDP
/// datagrams sent to its port number on to the target's with the same delay, and the target's answers back to their
/// sender, as a NAT would: each sender gets a socket of its own toward the target (GeoLedger's acknowledgement
/// datagrams, and its read-index questions with their answers).
/// </summary>
/// <remarks>
/// Every connection direction has a thread of its own that reads and one that releases (blocking socket calls,
/// no thread pool): the proxies run inside test and benchmark processes, and a link must keep its delay when
/// the process's thread pool is busy or starved (a stalled link would look like a network partition to Raft).
/// </remarks>
public sealed partial class DelayProxy : IAsyncDisposable
{
    private const int ChunkBytes = 64 * 1024;
    private const int MaxHeadBytes = 16 * 1024;
    private const int StackBytes = 256 * 1024;
    private static readonly byte[] HeadEnd = "\r\n\r\n"u8.ToArray();
    private static readonly long CoarseMarginTicks = Stopwatch.Frequency / 500; // a millisecond wait can end this late
    private static readonly long SpinTicks = Stopwatch.Frequency / 4_000; // the last 0.25 ms of a wait
    private readonly Socket listener;
    private readonly EndPoint target;
    private readonly Func<string, TimeSpan>? delayForHead;
    private readonly CancellationTokenSource stopping = new();
    private readonly Thread accepting;
    private Socket? datagrams;
    private Thread? relaying;
    private readonly Dictionary<EndPoint, DatagramSender> senders = []; // guarded by itself
    private int accepted;
    private int relayed;
    private long maxLateTicks;

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
        accepting = Run(Accept, $"delay proxy :{Port}");
    }

    /// <summary>The loopback port the proxy listens on.</summary>
    public int Port { get; }

    /// <summary>The proxy as a base URL (<c>http://127.0.0.1:port/</c>).</summary>
    public Uri Url => new($"http://127.0.0.1:{Port}/");

    /// <summary>The one-way delay of each direction (for a sniffing proxy: the delay when the head names no one).</summary>
    public TimeSpan Delay { get; }

    /// <summary>Connections accepted so far.</summary>
    public int Accepted => Volatile.Read(ref accepted);

    /// <summary>Datagrams released so far, to the target and back (0 unless started with datagrams).</summary>
    public int Relayed => Volatile.Read(ref relayed);

    /// <summary>
    /// The most any chunk of bytes left the proxy after its release time (arrival + delay): how far the emulated
    /// link fell behind its delay, from this machine's scheduling or a receiver that stopped reading.
    /// </summary>
    public TimeSpan MaxLateness => TimeSpan.FromSeconds(Interlocked.Read(ref maxLateTicks) / (double)Stopwatch.Frequency);

    /// <summary>Starts a proxy on 127.0.0.1:<paramref name="port"/> (0: any free port) to <paramref name="target"/>, delaying each direction by <paramref name="delay"/>.</summary>
    public static DelayProxy Start(EndPoint target, TimeSpan delay, int port = 0) => new(target, delay, null, port);

    /// <summary>
    /// Starts a proxy on a free loopback port to <paramref name="target"/> (an IP endpoint) that also relays UDP datagrams
    /// sent to that port number on to the target's port number, and the target's answers back, each <paramref name="delay"/> late.
    /// </summary>
    public static DelayProxy StartWithDatagrams(IPEndPoint target, TimeSpan delay)
    {
        for (var attempt = 1; ; attempt++)
        {
            var proxy = new DelayProxy(target, delay, null, 0);
            var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            try
            {
                udp.Bind(new IPEndPoint(IPAddress.Loopback, proxy.Port));
            }
            catch (SocketException) when (attempt < 20)
            {
                // the UDP port of that number is taken: another TCP port
                udp.Dispose();
                proxy.DisposeAsync().AsTask().GetAwaiter().GetResult();
                continue;
            }

            proxy.datagrams = udp;
            proxy.relaying = Run(() => proxy.Relay(udp, target), $"delay proxy :{proxy.Port} datagrams");
            return proxy;
        }
    }

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
        listener.Dispose(); // each connection's sockets close through its break token, linked to stopping
        datagrams?.Dispose();
        lock (senders)
        {
            foreach (var sender in senders.Values)
                sender.Socket.Dispose(); // ends its answering thread
            senders.Clear();
        }

        await Task.Run(() => accepting.Join(TimeSpan.FromSeconds(10)) && (relaying?.Join(TimeSpan.FromSeconds(10)) ?? true)).ConfigureAwait(false);
    }

    private static Thread Run(Action body, string name)
    {
        var thread = new Thread(new ThreadStart(body), StackBytes) { IsBackground = true, Name = name };
        thread.Start();
        return thread;
    }

    private void Accept()
    {
        while (!stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = listener.Accept();
            }
            catch (Exception e) when (e is ObjectDisposedException or SocketException)
            {
                return;
            }

            Interlocked.Increment(ref accepted);
            Run(() => Serve(client), $"delay proxy :{Port} up");
        }
    }

    // This thread carries the client's bytes to the target; another carries the answers back.
    private void Serve(Socket client)
    {
        client.NoDelay = true;
        using var server = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var broken = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);

        // Blocking calls do not watch a token: a break (a reset, the proxy stopping) closes both sockets, which ends them.
        using var closeOnBreak = broken.Token.Register(() =>
        {
            client.Dispose();
            server.Dispose();
        });
        Thread? down = null;
        try
        {
            server.Connect(target);
            var clientStamped = ArrivalStamps.Enable(client);
            var serverStamped = ArrivalStamps.Enable(server);
            var (delay, head, headAt) = delayForHead is null ? (Delay, default(ArraySegment<byte>), 0L) : Sniff(client, clientStamped);
            down = Run(() => Pump(server, serverStamped, client, delay, default, 0, broken), $"delay proxy :{Port} down");
            Pump(client, clientStamped, server, delay, head, headAt, broken);
        }
        catch (Exception)
        {
            // the target refused, the client reset, or the proxy stops: both sides close now
            broken.Cancel();
        }
        finally
        {
            down?.Join(); // before broken is disposed: the other direction's threads still use it
            client.Dispose();
        }
    }

    // Reads until the end of the first request's head (or 16 KiB, or 5 s) and picks the delay from it.
    private (TimeSpan Delay, ArraySegment<byte> Head, long At) Sniff(Socket client, bool stamped)
    {
        var buffer = new byte[MaxHeadBytes];
        var length = 0;
        long at = 0;
        var patience = Stopwatch.StartNew();
        try
        {
            while (length < buffer.Length && buffer.AsSpan(0, length).IndexOf(HeadEnd) < 0)
            {
                var left = TimeSpan.FromSeconds(5) - patience.Elapsed;
                if (left <= TimeSpan.Zero || !client.Poll(left, SelectMode.SelectRead))
                    break; // no head in time: forward what came with the fallback delay
                var received = ArrivalStamps.Receive(client, stamped, buffer, length, buffer.Length - length);
                if (received.Length == 0)
                    break;
                if (length == 0)
                    at = received.At;
                length += received.Length;
            }
        }
        catch (SocketException) when (length > 0)
        {
            // the client went away after part of a head: forward what came; the pump sees the end
        }

        var delay = length > 0 ? delayForHead!(Encoding.Latin1.GetString(buffer, 0, length)) : Delay;
        return (delay, new ArraySegment<byte>(buffer, 0, length), at);
    }

    // One direction: this thread stamps chunks with their arrival (ArrivalStamps), a releasing thread sends each at its stamp + delay.
    private void Pump(Socket from, bool stamped, Socket to, TimeSpan delay, ArraySegment<byte> first, long firstAt, CancellationTokenSource broken)
    {
        using var queue = new BlockingCollection<Chunk>(1024);
        var releasing = Run(() => Release(queue, to, delay, broken), $"delay proxy :{Port} release");
        try
        {
            if (first.Count > 0)
            {
                var copy = ArrayPool<byte>.Shared.Rent(first.Count);
                first.AsSpan().CopyTo(copy);
                queue.Add(new Chunk(copy, first.Count, firstAt), broken.Token);
            }

            while (true)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
                var (n, at, _) = ArrivalStamps.Receive(from, stamped, buffer, 0, buffer.Length);
                queue.Add(new Chunk(buffer, n, at), broken.Token);
                if (n == 0)
                    break; // end of stream: the releasing thread half-closes the other side after the delay
            }

            queue.CompleteAdding();
        }
        catch (Exception)
        {
            // a reset, or the other side's break closed this socket: everything ends
            queue.CompleteAdding();
            broken.Cancel();
        }
        finally
        {
            releasing.Join();
        }
    }

    private void Release(BlockingCollection<Chunk> queue, Socket to, TimeSpan delay, CancellationTokenSource broken) =>
        ReleaseInTime(queue, delay, broken.Token, chunk =>
        {
            if (chunk.Length == 0)
            {
                to.Shutdown(SocketShutdown.Send);
                return false;
            }

            var sent = 0;
            while (sent < chunk.Length)
                sent += to.Send(chunk.Buffer, sent, chunk.Length - sent, SocketFlags.None);
            return true;
        }, broken.Cancel); // a side reset or the proxy stops: the other direction ends too

    // The releasing thread of either kind: sends each chunk at its stamp + delay until send says stop, the token is
    // cancelled or something throws (then failed runs first: it must end the producer before what is left is drained).
    private void ReleaseInTime(BlockingCollection<Chunk> queue, TimeSpan delay, CancellationToken token, Func<Chunk, bool> send, Action failed)
    {
        if (OperatingSystem.IsLinux())
            _ = prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0); // this thread's sleeps end within a nanosecond of their time, not 50 µs later
        var delayTicks = (long)(delay.TotalSeconds * Stopwatch.Frequency);
        try
        {
            foreach (var chunk in queue.GetConsumingEnumerable(token))
            {
                try
                {
                    var due = chunk.At + delayTicks;
                    WaitUntil(due, token);
                    RecordLateness(Stopwatch.GetTimestamp() - due);
                    if (!send(chunk))
                        return;
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(chunk.Buffer);
                }
            }
        }
        catch (Exception)
        {
            failed();
        }
        finally
        {
            foreach (var left in queue.GetConsumingEnumerable())
                ArrayPool<byte>.Shared.Return(left.Buffer);
        }
    }

    // Datagrams: this thread stamps each as it arrives, a releasing thread sends it on at its stamp + delay: to the target
    // from the sender's own socket (so the target's answers to it come back there), or back to a sender from the proxy's port.
    private void Relay(Socket udp, IPEndPoint target)
    {
        using var queue = new BlockingCollection<Chunk>(1024);
        var releasing = Run(() => ReleaseDatagrams(queue), $"delay proxy :{Port} datagram release");
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                if (ReceiveDatagram(udp) is not { } datagram)
                    continue;
                var (buffer, length, from, at) = datagram;
                var sender = SenderFor(from, target, queue, udp);
                if (!queue.TryAdd(new Chunk(buffer, length, at, sender.ToTarget)))
                    ArrayPool<byte>.Shared.Return(buffer); // a full queue drops, as a congested link would
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // the proxy stops
        }
        finally
        {
            queue.CompleteAdding();
            releasing.Join();
        }
    }

    /// <summary>At most this many senders keep a socket of their own; a new one beyond it takes the least recently heard one's.</summary>
    private const int MaxDatagramSenders = 8;

    // The socket toward the target for datagrams from one sender, with a thread that queues the target's answers back to it.
    private DatagramSender SenderFor(EndPoint from, IPEndPoint target, BlockingCollection<Chunk> queue, Socket udp)
    {
        var now = Stopwatch.GetTimestamp();
        lock (senders)
        {
            ObjectDisposedException.ThrowIf(stopping.IsCancellationRequested, this); // DisposeAsync closed the senders' sockets already
            if (senders.TryGetValue(from, out var known))
            {
                known.LastHeard = now;
                return known;
            }

            if (senders.Count >= MaxDatagramSenders)
            {
                var oldest = senders.MinBy(s => s.Value.LastHeard);
                senders.Remove(oldest.Key);
                oldest.Value.Socket.Dispose(); // ends its answering thread
            }

            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var sender = new DatagramSender(new DatagramRoute(socket, target), new DatagramRoute(udp, from)) { LastHeard = now };
            senders[from] = sender;
            Run(() => RelayAnswers(sender, queue), $"delay proxy :{Port} datagram answers");
            return sender;
        }
    }

    private void RelayAnswers(DatagramSender sender, BlockingCollection<Chunk> queue)
    {
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                if (ReceiveDatagram(sender.Socket) is not { } datagram)
                    continue;
                var (buffer, length, from, at) = datagram;
                // Only the target answers through this socket; anything else is a stray datagram, dropped.
                if (!from.Equals(sender.ToTarget.To) || !queue.TryAdd(new Chunk(buffer, length, at, sender.Back)))
                    ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // the socket was closed (the proxy stops, or a newer sender took its place), or the queue completed
        }
    }

    // One datagram in a rented buffer, with its sender and arrival; null (the buffer returned) after an ICMP error (an
    // earlier datagram found no one listening) or for one too large. Throws when the socket is closed.
    private static (byte[] Buffer, int Length, EndPoint From, long At)? ReceiveDatagram(Socket socket)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        EndPoint from = new IPEndPoint(IPAddress.Any, 0);
        try
        {
            var length = socket.ReceiveFrom(buffer, ref from);
            return (buffer, length, from, ArrivalStamps.OfLastDatagram(socket).At);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return null;
        }
    }

    private void ReleaseDatagrams(BlockingCollection<Chunk> queue) =>
        ReleaseInTime(queue, Delay, stopping.Token, chunk =>
        {
            Interlocked.Increment(ref relayed);
            try
            {
                chunk.Route!.From.SendTo(chunk.Buffer.AsSpan(0, chunk.Length), SocketFlags.None, chunk.Route.To);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // nobody listens there (yet), or the sender's socket was given to a newer one: a datagram is lost, as on any link
            }

            return true;
        }, () => { }); // the proxy stops: its socket closed, the receiving thread ends too

    private void RecordLateness(long ticks)
    {
        var seen = Interlocked.Read(ref maxLateTicks);
        while (ticks > seen)
        {
            var before = Interlocked.CompareExchange(ref maxLateTicks, ticks, seen);
            if (before == seen)
                return;
            seen = before;
        }
    }

    // A wait in whole milliseconds (the only kind a wait handle has) can end a millisecond late: 10% of a
    // 20 ms link. So the thread waits on the token until about 2 ms before the release, sleeps with
    // nanosleep (microsecond resolution) to 0.25 ms before it, and spins the rest. Spinning the last 2 ms
    // instead, as the proxy once did, kept 0.39-0.48 of a core busy under one sequential geo writer: CPU that
    // the nodes it delays for lacked on a 2-core machine.
    private static void WaitUntil(long due, CancellationToken token)
    {
        var coarse = due - CoarseMarginTicks - Stopwatch.GetTimestamp();
        if (coarse > 0 && token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(Math.Floor(coarse * 1000.0 / Stopwatch.Frequency))))
            throw new OperationCanceledException(token);
        token.ThrowIfCancellationRequested();
        long fine;
        while ((fine = due - SpinTicks - Stopwatch.GetTimestamp()) > 0 && SleepFine(fine))
        {
            // a sleep a signal ended early sleeps again for what is left
        }

        while (Stopwatch.GetTimestamp() < due)
            Thread.SpinWait(16);
    }

    // Sleeps about ticks; false where there is no nanosleep (the caller then spins the whole wait, as the proxy once did).
    private static bool SleepFine(long ticks)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
            return false;
        var nanoseconds = ticks * (1_000_000_000.0 / Stopwatch.Frequency);
        var request = new TimeSpec { Seconds = (long)(nanoseconds / 1e9), Nanoseconds = (long)(nanoseconds % 1e9) };
        _ = nanosleep(in request, IntPtr.Zero);
        return true;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int nanosleep(in TimeSpec request, IntPtr remaining);

    private const int PR_SET_TIMERSLACK = 29;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    private readonly record struct Chunk(byte[] Buffer, int Length, long At, DatagramRoute? Route = null);

    // Where a datagram goes and from which socket.
    private sealed record DatagramRoute(Socket From, EndPoint To);

    // One sender's two routes: its datagrams to the target from a socket of its own, and the target's answers back to it.
    private sealed class DatagramSender(DatagramRoute toTarget, DatagramRoute back)
    {
        public DatagramRoute ToTarget { get; } = toTarget;

        public DatagramRoute Back { get; } = back;

        public Socket Socket => ToTarget.From;

        public long LastHeard { get; set; } // guarded by the proxy's senders
    }
}
