using System.Net.Sockets;

namespace GeoLedger.Cluster;

/// <summary>
/// A connection the Raft port took a leader's message on (<see cref="LeaderSuspicionMiddleware"/>), with its socket
/// when the server exposes it. The server reports a closed connection only after its own asynchronous teardown; the
/// socket shows the peer's end as soon as the kernel has it, so a follower stops trusting a SIGKILLed leader before
/// it answers the next client with a redirect to it.
/// </summary>
public sealed class RaftConnection(Socket? socket)
{
    /// <summary>True when the peer closed or reset the connection (end of stream, nothing left unread); false without a socket.</summary>
    public bool PeerClosed()
    {
        if (socket is null)
            return false;
        try
        {
            // Readable with no bytes waiting is an end of stream or an error, and stays so once the peer is gone.
            return socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }
}
