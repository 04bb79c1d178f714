using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace GeoLedger.LocalCluster.Geo;

/// <summary>
/// When bytes reached a socket, by the kernel's receive time stamp (<c>SO_TIMESTAMPNS</c> on a connection, <c>SIOCGSTAMPNS</c>
/// for a datagram), on the <see cref="Stopwatch"/> clock. A thread blocked in a receive wakes after the bytes by 36-67 µs p50
/// (100-255 µs p90) on the 2-vCPU VM (docs/performance.md): a link stamped at the wake-up carries that on top of its delay at
/// every hop. Linux (64-bit) only; elsewhere, or when the kernel gives no stamp, the time is the moment the receive returned.
/// </summary>
public static unsafe partial class ArrivalStamps
{
    private const int SolSocket = 1;
    private const int SoTimestampNs = 35; // also SCM_TIMESTAMPNS, the control message's type
    private const int SiocGStampNs = 0x8907;
    private const int EIntr = 4;
    private const int EAgain = 11;
    private const int EConnReset = 104;
    private const int ControlBytes = 64;

    /// <summary>A stamp further back than this is not believed: the real-time clock stepped between the stamp and the read.</summary>
    private const long MaxLagNanoseconds = 1_000_000_000;

    private static readonly bool Supported = OperatingSystem.IsLinux() && IntPtr.Size == 8;

    /// <summary>Asks the kernel to stamp what <paramref name="socket"/> receives; false where it cannot.</summary>
    public static bool Enable(Socket socket)
    {
        if (!Supported)
            return false;
        try
        {
            socket.SetRawSocketOption(SolSocket, SoTimestampNs, BitConverter.GetBytes(1));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>What a receive read: how many bytes, when they arrived (<see cref="Stopwatch"/> ticks), and whether the kernel said so.</summary>
    public readonly record struct Received(int Length, long At, bool Stamped);

    /// <summary>
    /// <see cref="Socket.Receive(byte[], int, int, SocketFlags)"/> on a stream socket (<paramref name="stamped"/>: it was
    /// <see cref="Enable"/>d), with the time the last of the bytes arrived. Blocks until bytes or the end arrive; throws as
    /// a receive would when the socket fails or is closed. The kernel starts stamping a moment after the first socket asks.
    /// </summary>
    public static Received Receive(Socket socket, bool stamped, byte[] buffer, int offset, int count)
    {
        if (!stamped)
        {
            var read = socket.Receive(buffer, offset, count, SocketFlags.None);
            return new Received(read, Stopwatch.GetTimestamp(), false);
        }

        var control = stackalloc byte[ControlBytes];
        fixed (byte* data = buffer)
        {
            var iov = new IoVec { Base = data + offset, Length = (nuint)count };
            var message = new MessageHeader { Iov = &iov, IovLength = 1, Control = control, ControlLength = ControlBytes };
            nint n;
            while ((n = recvmsg(socket.SafeHandle, &message, 0)) < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == EAgain)
                    socket.Poll(-1, SelectMode.SelectRead); // a socket .NET made non-blocking: wait for bytes, then read them
                else if (errno != EIntr)
                    throw new SocketException(errno == EConnReset ? (int)SocketError.ConnectionReset : (int)SocketError.SocketError);
                message.ControlLength = ControlBytes;
            }

            var (at, kernel) = StampOf(control, (long)message.ControlLength);
            return new Received((int)n, at, kernel);
        }
    }

    /// <summary>
    /// For a datagram just received on <paramref name="socket"/>: when it arrived (the kernel's stamp of the last datagram
    /// read), else now, and whether the kernel said so. The first call on a socket asks the kernel to stamp its datagrams.
    /// </summary>
    public static (long At, bool Stamped) OfLastDatagram(Socket socket)
    {
        if (!Supported)
            return (Stopwatch.GetTimestamp(), false);
        TimeSpec stamp;
        return ioctl(socket.SafeHandle, SiocGStampNs, &stamp) == 0 ? Believed(stamp) : (Stopwatch.GetTimestamp(), false);
    }

    private static (long At, bool Stamped) StampOf(byte* control, long length)
    {
        // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } then the data, each aligned to 8 bytes.
        for (long offset = 0; offset + 16 <= length;)
        {
            var header = control + offset;
            var size = *(long*)header;
            if (size < 16 || offset + size > length)
                break;
            if (*(int*)(header + 8) == SolSocket && *(int*)(header + 12) == SoTimestampNs && size >= 16 + sizeof(TimeSpec))
                return Believed(*(TimeSpec*)(header + 16));
            offset += (size + 7) & ~7L;
        }

        return (Stopwatch.GetTimestamp(), false);
    }

    // The kernel stamps by the real-time clock: how long ago that was, by that clock read now, moved onto the Stopwatch's.
    private static (long At, bool Stamped) Believed(TimeSpec stamp)
    {
        var (real, now) = Now();
        var lag = real - (stamp.Seconds * 1_000_000_000 + stamp.Nanoseconds);
        if (stamp.Seconds <= 0 || lag < 0 || lag > MaxLagNanoseconds)
            return (now, false);
        return (now - (long)(lag * (Stopwatch.Frequency / 1e9)), true);
    }

    // The real-time clock (ns since 1970) and the Stopwatch read together: a thread preempted between two reads would
    // shift every stamp by the pause, so the pair is read again when the real-time clock moved more than 20 µs across it.
    private static (long RealNanoseconds, long Stopwatch) Now()
    {
        while (true)
        {
            var before = DateTime.UtcNow.Ticks;
            var now = Stopwatch.GetTimestamp();
            var after = DateTime.UtcNow.Ticks;
            if (after - before <= 200)
                return ((before + (after - before) / 2 - DateTime.UnixEpoch.Ticks) * 100, now);
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public byte* Base;
        public nuint Length;
    }

    // struct msghdr of 64-bit Linux (glibc): name, namelen (padded), iov, iovlen, control, controllen, flags.
    [StructLayout(LayoutKind.Sequential)]
    private struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public byte* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint recvmsg(SafeSocketHandle socket, MessageHeader* message, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int ioctl(SafeSocketHandle socket, nint request, TimeSpec* stamp);
}
