using System.Net;
using System.Net.Sockets;

namespace GeoLedger.Cluster;

/// <summary>
/// The stream a <see cref="SocketsHttpHandler.ConnectCallback"/> hands back for a socket it connected.
/// .NET 10's handler reads the socket's <see cref="Socket.RemoteEndPoint"/> after the callback returns,
/// outside the code that turns connect failures into <see cref="HttpRequestException"/>: when the peer
/// resets the connection in between (a node killed or cut off just after it accepted), <c>getpeername</c>
/// fails with ENOTCONN and a bare <see cref="SocketException"/> comes out of <c>HttpClient.SendAsync</c>,
/// past every caller that handles <see cref="HttpRequestException"/> (it ended a 20-minute fault run).
/// Reading the endpoint here, inside the callback, makes <see cref="Socket"/> cache it, and a reset that
/// came earlier fails the callback, which the handler wraps in an <see cref="HttpRequestException"/>.
/// </summary>
public static class ConnectedStream
{
    /// <summary>A stream owning <paramref name="socket"/>, connected, with its remote endpoint read once.</summary>
    /// <exception cref="SocketException">The peer already reset the connection.</exception>
    public static NetworkStream Of(Socket socket)
    {
        _ = socket.RemoteEndPoint; // Socket keeps the answer: the handler's own read later cannot fail
        return new NetworkStream(socket, ownsSocket: true);
    }

    /// <summary>A connect callback for <see cref="SocketsHttpHandler"/>: the endpoint asked for, or <paramref name="target"/>'s answer for it.</summary>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> Callback(Func<DnsEndPoint, EndPoint>? target = null) =>
        async (context, token) =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(target?.Invoke(context.DnsEndPoint) ?? context.DnsEndPoint, token).ConfigureAwait(false);
                return Of(socket);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };
}
