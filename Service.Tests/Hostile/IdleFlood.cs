using System.Net;
using System.Net.Sockets;

namespace GeoLedger.Tests.Hostile;

/// <summary>TCP connections opened to a port and left idle (no byte ever sent), closed on dispose.</summary>
public sealed class IdleFlood : IDisposable
{
    private readonly List<Socket> sockets = [];

    private IdleFlood()
    {
    }

    /// <summary>Connections the server accepted into its backlog or took (the kernel completes a handshake before the server accepts).</summary>
    public int Connected => sockets.Count;

    /// <summary>Attempts that did not connect within the timeout (a full backlog drops the handshake).</summary>
    public int Failed { get; private set; }

    /// <summary>Opens <paramref name="count"/> connections to <paramref name="endpoint"/>, 64 at a time.</summary>
    public static async Task<IdleFlood> OpenAsync(IPEndPoint endpoint, int count)
    {
        var flood = new IdleFlood();
        for (var done = 0; done < count; done += 64)
        {
            var batch = Enumerable.Range(0, Math.Min(64, count - done)).Select(async _ =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                try
                {
                    await socket.ConnectAsync(endpoint, timeout.Token);
                    return socket;
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException)
                {
                    socket.Dispose();
                    return null;
                }
            });
            foreach (var socket in await Task.WhenAll(batch))
            {
                if (socket is null)
                    flood.Failed++;
                else
                    flood.sockets.Add(socket);
            }
        }

        return flood;
    }

    /// <summary>How many of the connections the server has closed (a read returns end of stream or a reset).</summary>
    public int ClosedByServer()
    {
        var closed = 0;
        foreach (var socket in sockets)
        {
            try
            {
                if (socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0)
                    closed++;
            }
            catch (SocketException)
            {
                closed++;
            }
        }

        return closed;
    }

    public void Dispose()
    {
        foreach (var socket in sockets)
            socket.Dispose();
    }
}
