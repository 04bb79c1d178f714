using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using GeoLedger.LocalCluster.Geo;
using GeoLedger.Tests.MultiNode;

namespace GeoLedger.Tests.Geo;

/// <summary>
/// The proxies run inside the test and benchmark processes: a link must keep its delay while that process's
/// thread pool is starved, or a busy test host would look like a network partition to the Raft nodes behind it.
/// </summary>
[Collection(MultiNodeCollection.Name)] // it starves this process's thread pool, so nothing may run beside it
public sealed class DelayProxyStarvationTests
{
    [Fact]
    public async Task A_link_keeps_its_delay_while_the_thread_pool_is_starved()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var echo = new Thread(() => Echo(listener)) { IsBackground = true };
        echo.Start();
        await using var proxy = DelayProxy.Start(listener.LocalEndPoint!, TimeSpan.FromMilliseconds(5));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveTimeout = 20_000 };
        client.Connect(new IPEndPoint(IPAddress.Loopback, proxy.Port));
        RoundTrip(client); // the connection is set up before the pool starves

        // Every pool thread blocks until the round trip below is back, or 5 s pass; a probe queued behind them shows the starvation.
        using var release = new ManualResetEventSlim();
        var blockers = Enumerable.Range(0, 64 + 4 * Environment.ProcessorCount).Select(_ => Task.Run(() => release.Wait(TimeSpan.FromSeconds(5)))).ToArray();
        var probe = Task.Run(() => { });
        var took = TimeSpan.Zero;
        var starved = false;
        var done = new Thread(() =>
        {
            starved = !probe.Wait(TimeSpan.FromMilliseconds(300));
            var clock = Stopwatch.StartNew();
            RoundTrip(client);
            took = clock.Elapsed;
            release.Set();
        }) { IsBackground = true };
        done.Start();
        done.Join();
        await Task.WhenAll(blockers);

        Assert.True(starved, "the thread pool ran a new work item within 300 ms: it was not starved, so this run proves nothing");
        Assert.True(took < TimeSpan.FromSeconds(1), $"a round trip over a 5 ms link took {took.TotalMilliseconds:0} ms while the thread pool was starved");
    }

    private static void RoundTrip(Socket client)
    {
        client.Send("ping"u8);
        var buffer = new byte[4];
        for (var got = 0; got < buffer.Length;)
            got += client.Receive(buffer, got, buffer.Length - got, SocketFlags.None) is var n and > 0 ? n : throw new IOException("the proxy closed the connection");
    }

    private static void Echo(Socket listener)
    {
        try
        {
            using var socket = listener.Accept();
            var buffer = new byte[1024];
            int n;
            while ((n = socket.Receive(buffer)) > 0)
                socket.Send(buffer, 0, n, SocketFlags.None);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // the test ended
        }
    }
}
