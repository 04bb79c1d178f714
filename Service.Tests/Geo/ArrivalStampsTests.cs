using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using GeoLedger.LocalCluster.Geo;

namespace GeoLedger.Tests.Geo;

/// <summary>
/// The delaying proxy stamps bytes with the kernel's receive time, not the moment its thread woke to read them: bytes
/// read well after they arrived are stamped that much before the read. The kernel turns stamping on a moment after a
/// socket first asks, so each test sends until one arrival is stamped, within a patience.
/// </summary>
public sealed class ArrivalStampsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Aged = TimeSpan.FromMilliseconds(30);

    [Fact]
    public void Bytes_on_a_connection_are_stamped_when_they_arrived()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        sender.Connect(listener.LocalEndPoint!);
        using var receiver = listener.Accept();
        Assert.True(ArrivalStamps.Enable(receiver));
        var buffer = new byte[100];

        AgedArrivalIsStamped(() => sender.Send("hello"u8.ToArray()), receiver, () =>
        {
            var received = ArrivalStamps.Receive(receiver, stamped: true, buffer, 0, buffer.Length);
            Assert.Equal(5, received.Length);
            return (received.At, received.Stamped);
        });
    }

    [Fact]
    public void A_datagram_is_stamped_when_it_arrived()
    {
        using var receiver = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        receiver.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var sender = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var buffer = new byte[100];

        AgedArrivalIsStamped(() => sender.SendTo("second"u8.ToArray(), receiver.LocalEndPoint!), receiver, () =>
        {
            Assert.Equal(6, receiver.Receive(buffer));
            return ArrivalStamps.OfLastDatagram(receiver);
        });
    }

    // Sends, lets what arrived wait in the socket for Aged, reads it with its stamp: until the stamp says it arrived at
    // least Aged before the read (and not after it was seen waiting). Before stamping is on, a read is stamped about now.
    private static void AgedArrivalIsStamped(Action send, Socket receiver, Func<(long At, bool Stamped)> read)
    {
        var patience = Stopwatch.StartNew();
        var ages = new List<double>();
        while (true)
        {
            send();
            Assert.True(receiver.Poll(Patience, SelectMode.SelectRead), "nothing arrived");
            var seen = Stopwatch.GetTimestamp();
            Thread.Sleep(Aged); // what arrived waits in the socket: its age is what the stamp must show
            var (at, stamped) = read();
            var age = Stopwatch.GetElapsedTime(at);
            if (stamped && age >= Aged)
            {
                Assert.True(at <= seen, $"stamped {Stopwatch.GetElapsedTime(seen, at).TotalMilliseconds:0.000} ms after it was seen waiting in the socket");
                return;
            }

            ages.Add(age.TotalMilliseconds);
            Assert.True(patience.Elapsed < Patience, $"no arrival was stamped as one that waited {Aged.TotalMilliseconds} ms (ages at the read: {string.Join(", ", ages.Select(a => a.ToString("0.0")))} ms)");
        }
    }
}
