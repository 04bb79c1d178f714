using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace GeoLedger.LocalCluster;

/// <summary>
/// Hands out free loopback ports for nodes and proxies, never the same one twice on this machine while
/// the process that got it lives, so parallel tests, test processes and tools never collide.
/// </summary>
/// <remarks>
/// A port is handed out before its node binds it, so it must not be one the kernel could give anyone in the
/// meantime: ports come from below the kernel's ephemeral range (<c>ip_local_port_range</c>), where neither an
/// outgoing connection nor a bind to port 0 lands. Processes split that range into blocks of
/// <see cref="BlockSize"/> ports and claim a block by holding an exclusive lock on its file in
/// <see cref="LockFolder"/> (released by the kernel when the process exits, however it exits). Each port is
/// still tried with a bind first, for programs that do not take part.
/// </remarks>
public static class PortAllocator
{
    /// <summary>Ports per claimed block.</summary>
    public const int BlockSize = 64;

    /// <summary>The lowest port handed out: well above the ports services are usually configured on.</summary>
    public const int Lowest = 15000;

    private static readonly Lock Gate = new();
    private static readonly List<FileStream> Claims = [];
    private static int next;
    private static int blockEnd;

    /// <summary>Where the block locks live: one empty file per block, shared by every process on the machine.</summary>
    public static string LockFolder { get; } = Path.Combine(Path.GetTempPath(), "geoledger-ports");

    /// <summary>A port no other process of this machine was given and nothing listens on.</summary>
    /// <exception cref="InvalidOperationException">Every block below the ephemeral range is claimed or busy.</exception>
    public static int Next()
    {
        lock (Gate)
        {
            while (true)
            {
                if (next >= blockEnd)
                    ClaimBlock();
                var port = next++;
                if (IsFree(port))
                    return port;
            }
        }
    }

    /// <summary>The first port of the kernel's ephemeral range (32768 when it cannot be read).</summary>
    public static int EphemeralStart()
    {
        try
        {
            var text = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(text[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 32768;
        }
    }

    private static void ClaimBlock()
    {
        var ephemeral = EphemeralStart();
        var blocks = (ephemeral - Lowest) / BlockSize;
        if (blocks <= 0)
            throw new InvalidOperationException($"The kernel's ephemeral ports start at {ephemeral}, below {Lowest}: no port can be handed out that an outgoing connection could not take first (raise the start of /proc/sys/net/ipv4/ip_local_port_range)");
        Directory.CreateDirectory(LockFolder);
        var first = Random.Shared.Next(blocks); // processes started together rarely try the same blocks first
        for (var k = 0; k < blocks; k++)
        {
            var block = (first + k) % blocks;
            try
            {
                // FileShare.None takes an exclusive flock on Unix: any other open of the file, in this process or
                // another, fails with an IOException until this stream closes (at the latest when the process exits).
                Claims.Add(new FileStream(Path.Combine(LockFolder, $"block-{block}.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException)
            {
                continue;
            }

            next = Lowest + block * BlockSize;
            blockEnd = next + BlockSize;
            return;
        }

        throw new InvalidOperationException($"Every block of ports from {Lowest} to {ephemeral - 1} is claimed by other processes (locks in {LockFolder})");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
