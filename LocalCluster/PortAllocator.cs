using System.Net;
using System.Net.Sockets;

namespace GeoLedger.LocalCluster;

/// <summary>Hands out free loopback ports, never the same one twice in a process, so parallel tests never collide.</summary>
public static class PortAllocator
{
    private static readonly HashSet<int> Given = [];
    private static readonly Lock Gate = new();

    /// <summary>A port that was free on 127.0.0.1 a moment ago and was not handed out before.</summary>
    public static int Next()
    {
        lock (Gate)
        {
            while (true)
            {
                using var probe = new TcpListener(IPAddress.Loopback, 0);
                probe.Start();
                var port = ((IPEndPoint)probe.LocalEndpoint).Port;
                probe.Stop();
                if (Given.Add(port))
                    return port;
            }
        }
    }
}
