using System.Net;
using System.Net.Sockets;
using GeoLedger.Cluster;

namespace GeoLedger.Tests.Cluster;

/// <summary>
/// A peer that resets a connection right after accepting it: .NET's HTTP handler reads the socket's remote
/// endpoint after the connect callback returns, and without <see cref="ConnectedStream"/> that read threw a
/// bare SocketException (ENOTCONN) out of HttpClient.SendAsync.
/// </summary>
public sealed class ConnectedStreamTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_reset_between_the_connect_and_the_handler_reading_the_endpoint_fails_the_request_as_an_HttpRequestException()
    {
        using var listener = Listen(out var port);
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resetSent = Task.Run(() => ResetNextConnection(listener, connected.Task));
        var connects = 0;
        var resetArrived = false;
        using var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, token) =>
            {
                if (Interlocked.Increment(ref connects) > 1)
                    throw new IOException("the test's peer takes one connection"); // the handler's resend after the failed send
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(context.DnsEndPoint, token);
                var stream = ConnectedStream.Of(socket);
                connected.SetResult();
                // Only now may the handler look at the socket: after the peer's reset has arrived.
                await resetSent.WaitAsync(Patience, token);
                resetArrived = socket.Poll(Patience, SelectMode.SelectRead);
                return stream;
            },
        };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };

        var failure = await Record.ExceptionAsync(() => http.GetAsync(new Uri($"http://127.0.0.1:{port}/")));

        Assert.True(resetArrived, "the peer's reset did not reach the client");
        Assert.IsType<HttpRequestException>(failure);
    }

    [Fact]
    public async Task The_remote_endpoint_read_at_connect_still_answers_after_the_peer_reset()
    {
        using var listener = Listen(out var port);
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resetSent = Task.Run(() => ResetNextConnection(listener, connected.Task));
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, port);
        await using var stream = ConnectedStream.Of(socket);
        connected.SetResult();
        await resetSent.WaitAsync(Patience);
        Assert.True(socket.Poll(Patience, SelectMode.SelectRead), "the peer's reset did not reach the client");

        var remote = Assert.IsType<IPEndPoint>(socket.RemoteEndPoint); // the socket is dual-mode: an IPv4-mapped address
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, port), new IPEndPoint(remote.Address.MapToIPv4(), remote.Port));
    }

    private static Socket Listen(out int port)
    {
        var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(4);
        port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        return listener;
    }

    // Accepts, waits until the client holds its stream, then closes with a zero linger time: a reset instead of a FIN.
    private static void ResetNextConnection(Socket listener, Task clientConnected)
    {
        using var accepted = listener.Accept();
        if (!clientConnected.Wait(Patience))
            throw new TimeoutException("the client did not connect");
        accepted.LingerState = new LingerOption(true, 0);
    }
}
