using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace GeoLedger.Cluster;

/// <summary>
/// A connection the Raft port took a leader's message on (<see cref="LeaderSuspicionMiddleware"/>), with its socket
/// when the server exposes it. The server reports a closed connection only after its own asynchronous teardown; the
/// socket shows the peer's end as soon as the kernel has it, so a follower stops trusting a SIGKILLed leader before
/// it answers the next client with a redirect to it.
/// </summary>
public sealed partial class RaftConnection(Socket? socket)
{
    /// <summary>True when the peer closed or reset the connection (end of stream, nothing left unread); false without a socket.</summary>
    public bool PeerClosed()
    {
        if (socket is null)
            return false;
        try
        {
            return OperatingSystem.IsLinux() ? PeekSaysClosed(socket) : PollSaysClosed(socket);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    // One recv that peeks without waiting (Linux): 0 is the end of the stream, a byte an open connection with data
    // waiting, EAGAIN an open one with none. The server reading the same socket at the same time cannot make it lie.
    private static bool PeekSaysClosed(Socket socket)
    {
        byte peeked = 0;
        var received = recv(socket.SafeHandle, ref peeked, 1, MSG_PEEK | MSG_DONTWAIT);
        if (received >= 0)
            return received == 0;
        return Marshal.GetLastPInvokeError() is not (EAGAIN or EINTR); // ECONNRESET, EBADF, ...: gone
    }

    // Elsewhere: readable with no bytes waiting is an end of stream or an error. Two calls, so bytes the server reads
    // between them look like an end for a moment (a false suspicion until the leader's next message is accepted).
    private static bool PollSaysClosed(Socket socket) => socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0;

    private const int MSG_PEEK = 0x2;
    private const int MSG_DONTWAIT = 0x40; // Linux
    private const int EINTR = 4;
    private const int EAGAIN = 11; // = EWOULDBLOCK on Linux

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint recv(SafeSocketHandle socket, ref byte buffer, nint length, int flags);
}
