using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using GeoLedger.LocalCluster.Geo;

namespace GeoLedger.Tests.Geo;

/// <summary>The delaying TCP proxy of the geo demo and benchmark: bytes intact and in order, the delay applied, closes passed on.</summary>
public sealed class DelayProxyTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Bytes_arrive_intact_and_in_order_both_ways()
    {
        await using var echo = EchoServer.Start();
        await using var proxy = DelayProxy.Start(echo.EndPoint, TimeSpan.FromMilliseconds(5));
        using var client = await ConnectAsync(proxy);
        var sent = new byte[3 * 1024 * 1024 + 17];
        new Random(14).NextBytes(sent);

        // Written in uneven pieces while the echo comes back, so chunks of both directions interleave in the proxy.
        var writing = Task.Run(async () =>
        {
            for (var offset = 0; offset < sent.Length;)
            {
                var n = (int)Math.Min(1 + (offset * 7919L % 70_000), sent.Length - offset);
                offset += await client.SendAsync(sent.AsMemory(offset, n), SocketFlags.None);
            }

            client.Shutdown(SocketShutdown.Send);
        });
        var received = await ReadToEndAsync(client).WaitAsync(Patience);
        await writing.WaitAsync(Patience);

        Assert.Equal(sent.Length, received.Length);
        Assert.True(sent.AsSpan().SequenceEqual(received), "the bytes that came back differ from the bytes sent");
    }

    [Fact]
    public async Task Datagrams_to_the_proxys_port_number_reach_the_targets_intact_in_order_and_at_least_the_delay_late()
    {
        var delay = TimeSpan.FromMilliseconds(80);
        using var target = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        target.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var proxy = DelayProxy.StartWithDatagrams((IPEndPoint)target.LocalEndPoint!, delay);
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var proxyEnd = new IPEndPoint(IPAddress.Loopback, proxy.Port);

        var clock = Stopwatch.StartNew();
        var sentAt = new List<TimeSpan>();
        for (var i = 0; i < 3; i++)
        {
            sentAt.Add(clock.Elapsed);
            sender.SendTo(Encoding.ASCII.GetBytes($"datagram {i}"), proxyEnd);
        }

        target.ReceiveTimeout = (int)Patience.TotalMilliseconds;
        var buffer = new byte[100];
        for (var i = 0; i < 3; i++)
        {
            var length = target.Receive(buffer);
            var took = clock.Elapsed - sentAt[i];
            Assert.Equal($"datagram {i}", Encoding.ASCII.GetString(buffer, 0, length));
            Assert.True(took >= delay, $"datagram {i} took {took.TotalMilliseconds:0.0} ms through a proxy delaying by {delay.TotalMilliseconds} ms");
        }

        Assert.Equal(3, proxy.Relayed);
    }

    [Fact]
    public async Task The_targets_answers_go_back_to_whoever_asked_the_delay_late_each_way()
    {
        var delay = TimeSpan.FromMilliseconds(80);
        using var target = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        target.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        await using var proxy = DelayProxy.StartWithDatagrams((IPEndPoint)target.LocalEndPoint!, delay);
        var proxyEnd = new IPEndPoint(IPAddress.Loopback, proxy.Port);
        var answering = Task.Run(() =>
        {
            // The target answers each question to the address it came from (the proxy's socket for that sender).
            target.ReceiveTimeout = (int)Patience.TotalMilliseconds;
            var buffer = new byte[100];
            for (var i = 0; i < 2; i++)
            {
                EndPoint from = new IPEndPoint(IPAddress.Any, 0);
                var length = target.ReceiveFrom(buffer, ref from);
                target.SendTo(Encoding.ASCII.GetBytes("answer to " + Encoding.ASCII.GetString(buffer, 0, length)), from);
            }
        });
        using var first = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = (int)Patience.TotalMilliseconds };
        using var second = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = (int)Patience.TotalMilliseconds };
        first.Connect(proxyEnd); // as the read-index client does: it takes answers from the proxy's address only
        second.Connect(proxyEnd);

        var clock = Stopwatch.StartNew();
        first.Send(Encoding.ASCII.GetBytes("first"));
        second.Send(Encoding.ASCII.GetBytes("second"));
        var buffer = new byte[100];
        var firstAnswer = Encoding.ASCII.GetString(buffer, 0, first.Receive(buffer));
        var secondAnswer = Encoding.ASCII.GetString(buffer, 0, second.Receive(buffer));
        var took = clock.Elapsed;
        await answering.WaitAsync(Patience);

        Assert.Equal(("answer to first", "answer to second"), (firstAnswer, secondAnswer));
        Assert.True(took >= 2 * delay, $"the answers came {took.TotalMilliseconds:0.0} ms after the questions through a proxy delaying by {delay.TotalMilliseconds} ms each way");
        Assert.Equal(4, proxy.Relayed);
    }

    [Fact]
    public async Task Each_direction_is_delayed_by_at_least_the_configured_delay()
    {
        var delay = TimeSpan.FromMilliseconds(80);
        await using var sink = EchoServer.Start();
        await using var proxy = DelayProxy.Start(sink.EndPoint, delay);
        using var client = await ConnectAsync(proxy);

        for (var i = 0; i < 3; i++)
        {
            var sentAt = sink.Now;
            await client.SendAsync("ping"u8.ToArray(), SocketFlags.None);
            var arrivedAt = await sink.NextArrivalAsync().WaitAsync(Patience);
            var buffer = new byte[4];
            var got = 0;
            while (got < 4)
                got += await client.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None).AsTask().WaitAsync(Patience);
            var backAt = sink.Now;

            Assert.True(arrivedAt - sentAt >= delay, $"client to server took {(arrivedAt - sentAt).TotalMilliseconds:0.0} ms through a proxy delaying each way by {delay.TotalMilliseconds} ms");
            Assert.True(backAt - arrivedAt >= delay, $"server to client took {(backAt - arrivedAt).TotalMilliseconds:0.0} ms through a proxy delaying each way by {delay.TotalMilliseconds} ms");
            Assert.Equal("ping", Encoding.ASCII.GetString(buffer));
        }
    }

    [Fact]
    public async Task A_close_travels_on_in_both_directions()
    {
        await using var server = AcceptingServer.Start();
        await using var proxy = DelayProxy.Start(server.EndPoint, TimeSpan.FromMilliseconds(20));
        using var client = await ConnectAsync(proxy);
        using var accepted = await server.NextAsync().WaitAsync(Patience);

        // client -> server: a half-close reaches the server as end of stream, after the data before it
        await client.SendAsync("last words"u8.ToArray(), SocketFlags.None);
        client.Shutdown(SocketShutdown.Send);
        Assert.Equal("last words", Encoding.ASCII.GetString(await ReadToEndAsync(accepted).WaitAsync(Patience)));

        // server -> client: the server answers and closes; the client reads the answer, then end of stream
        await accepted.SendAsync("bye"u8.ToArray(), SocketFlags.None);
        accepted.Shutdown(SocketShutdown.Both);
        accepted.Close();
        Assert.Equal("bye", Encoding.ASCII.GetString(await ReadToEndAsync(client).WaitAsync(Patience)));
    }

    [Fact]
    public async Task A_target_that_refuses_closes_the_client_connection()
    {
        var refused = new IPEndPoint(IPAddress.Loopback, GeoLedger.LocalCluster.PortAllocator.Next()); // nothing listens there
        await using var proxy = DelayProxy.Start(refused, TimeSpan.FromMilliseconds(5));
        using var client = await ConnectAsync(proxy);

        var ended = await EndsAsync(client).WaitAsync(Patience);

        Assert.True(ended);
    }

    [Fact]
    public async Task A_sniffing_proxy_takes_the_delay_named_by_the_first_request_head()
    {
        await using var echo = EchoServer.Start();
        await using var proxy = DelayProxy.StartSniffing(echo.EndPoint, head => head.Contains("X-From: far", StringComparison.Ordinal) ? TimeSpan.FromMilliseconds(120) : TimeSpan.Zero, TimeSpan.Zero);

        async Task<(TimeSpan RoundTrip, string Echo)> AskAsync(string from)
        {
            using var client = await ConnectAsync(proxy);
            var request = Encoding.ASCII.GetBytes($"GET / HTTP/1.1\r\nHost: x\r\nX-From: {from}\r\n\r\n");
            var clock = Stopwatch.StartNew();
            await client.SendAsync(request, SocketFlags.None);
            var buffer = new byte[request.Length];
            var got = 0;
            while (got < buffer.Length)
                got += await client.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None).AsTask().WaitAsync(Patience);
            return (clock.Elapsed, Encoding.ASCII.GetString(buffer));
        }

        var far = await AskAsync("far");

        Assert.True(far.RoundTrip >= TimeSpan.FromMilliseconds(240), $"round trip {far.RoundTrip.TotalMilliseconds:0.0} ms; the head named a 120 ms link");
        Assert.Contains("X-From: far\r\n\r\n", far.Echo, StringComparison.Ordinal); // the sniffed head is forwarded unchanged
    }

    private static async Task<Socket> ConnectAsync(DelayProxy proxy)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, proxy.Port));
        return socket;
    }

    private static async Task<byte[]> ReadToEndAsync(Socket socket)
    {
        using var all = new MemoryStream();
        var buffer = new byte[65536];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None)) > 0)
            all.Write(buffer, 0, n);
        return all.ToArray();
    }

    // True when the connection ends (end of stream or reset) without data.
    private static async Task<bool> EndsAsync(Socket socket)
    {
        try
        {
            return await socket.ReceiveAsync(new byte[16], SocketFlags.None) == 0;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    /// <summary>Echoes every connection's bytes back and half-closes when the client does; stamps each arrival.</summary>
    private sealed class EchoServer : IAsyncDisposable
    {
        private readonly TcpListener listener = new(IPAddress.Loopback, 0);
        private readonly System.Threading.Channels.Channel<TimeSpan> arrivals = System.Threading.Channels.Channel.CreateUnbounded<TimeSpan>();
        private readonly Stopwatch clock = Stopwatch.StartNew();
        private readonly CancellationTokenSource stop = new();
        private Task? loop;

        public IPEndPoint EndPoint => (IPEndPoint)listener.LocalEndpoint;

        public static EchoServer Start()
        {
            var server = new EchoServer();
            server.listener.Start();
            server.loop = Task.Run(server.AcceptAsync);
            return server;
        }

        /// <summary>The clock arrivals are stamped with.</summary>
        public TimeSpan Now => clock.Elapsed;

        /// <summary>When the next chunk of bytes reached the server (on <see cref="Now"/>'s clock).</summary>
        public Task<TimeSpan> NextArrivalAsync() => arrivals.Reader.ReadAsync().AsTask();

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            listener.Stop();
            if (loop is not null)
                await loop.ContinueWith(_ => { });
            stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                Socket socket;
                try
                {
                    socket = await listener.AcceptSocketAsync(stop.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }

                _ = Task.Run(async () =>
                {
                    using (socket)
                    {
                        var buffer = new byte[65536];
                        int n;
                        try
                        {
                            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, stop.Token)) > 0)
                            {
                                arrivals.Writer.TryWrite(clock.Elapsed);
                                for (var sent = 0; sent < n;)
                                    sent += await socket.SendAsync(buffer.AsMemory(sent, n - sent), SocketFlags.None, stop.Token);
                            }

                            socket.Shutdown(SocketShutdown.Send);
                        }
                        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                        {
                        }
                    }
                });
            }
        }
    }

    /// <summary>Hands out accepted sockets to the test.</summary>
    private sealed class AcceptingServer : IAsyncDisposable
    {
        private readonly TcpListener listener = new(IPAddress.Loopback, 0);

        public IPEndPoint EndPoint => (IPEndPoint)listener.LocalEndpoint;

        public static AcceptingServer Start()
        {
            var server = new AcceptingServer();
            server.listener.Start();
            return server;
        }

        public Task<Socket> NextAsync() => listener.AcceptSocketAsync();

        public ValueTask DisposeAsync()
        {
            listener.Stop();
            return ValueTask.CompletedTask;
        }
    }
}
