using System.Net;
using System.Net.Sockets;
using System.Text;
using GeoLedger.LocalCluster;
using GeoLedger.Tests.MultiNode;
using Xunit.Abstractions;

namespace GeoLedger.Tests.Hostile;

/// <summary>
/// Listing requests over 1 MiB values whose clients never read the answer: the node's memory stays within 200 MB of
/// where it started and it keeps serving. GEOLEDGER_HOSTILE_LIST_VALUES and GEOLEDGER_HOSTILE_LIST_READERS scale it up by hand.
/// </summary>
[Collection(MultiNodeCollection.Name)]
public sealed class SlowListReaderTests(ITestOutputHelper output)
{
    private const int ValueBytes = 1024 * 1024 - 16;
    private const long RssAllowanceBytes = 200L * 1024 * 1024;

    /// <summary>With the shipped limits; and with page caps and list budgets out of the way, so that streaming alone bounds memory.</summary>
    [Theory]
    [InlineData("shipped limits")]
    [InlineData("streaming alone")]
    public async Task Readers_that_never_read_large_pages_leave_the_node_serving_within_200_MB(string limits)
    {
        var settings = limits == "shipped limits" ? new Dictionary<string, string>() : new Dictionary<string, string>
        {
            ["Ledger:MaxListPageBytes"] = int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Ledger:MaxListBytesInFlight"] = long.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        var (cluster, leader) = await HostileCluster.StartAsync(1, settings);
        await using (cluster)
            await cluster.RunAsync(() => RunAsync(cluster.Nodes.Http, leader));
    }

    private async Task RunAsync(HttpClient http, NodeProcess node)
    {
        var values = HostileCluster.Scale("GEOLEDGER_HOSTILE_LIST_VALUES", 48);
        var readers = HostileCluster.Scale("GEOLEDGER_HOSTILE_LIST_READERS", 20);
        var value = "{\"value\":\"" + new string('v', ValueBytes - 2) + "\"}";
        for (var i = 0; i < values; i++)
        {
            using var put = await http.PutAsync(new Uri(node.PublicUrl, $"/v1/kv/big/{i:D4}"), new StringContent(value, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        var pid = node.Pid ?? throw new InvalidOperationException("the node is not running");
        var startRss = ProcessProbe.RssBytes(pid);
        output.WriteLine($"{values} values of {ValueBytes} bytes written; node RSS {ProcessProbe.Mb(startRss)}");

        // Small receive buffers, never read: the answer can only leave the node as fast as the kernel takes it.
        var endpoint = new IPEndPoint(IPAddress.Parse(node.PublicUrl.Host), node.PublicUrl.Port);
        var sockets = new List<Socket>();
        try
        {
            foreach (var _ in Enumerable.Range(0, readers))
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
                sockets.Add(socket);
                await socket.ConnectAsync(endpoint);
                await socket.SendAsync(Encoding.ASCII.GetBytes($"GET /v1/kv?prefix=big/&limit=1000 HTTP/1.1\r\nHost: {node.PublicUrl.Authority}\r\n\r\n"));
            }

            // Every reader has the start of an answer: the node has taken up each request (and, unstreamed, built each page).
            var answered = await WaitAsync(() => sockets.All(s => s.Available > 0), TimeSpan.FromSeconds(120));
            var peakRss = ProcessProbe.PeakRssBytes(pid);
            using var probe = new HttpRequestMessage(HttpMethod.Get, new Uri(node.PublicUrl, "/v1/kv/big/0000?consistency=local"));
            probe.Headers.ConnectionClose = true;
            using var probeResponse = await http.SendAsync(probe);
            output.WriteLine($"{readers} readers of ?limit=1000 that never read: {(answered ? "all" : sockets.Count(s => s.Available > 0).ToString())} got the start of an answer; "
                + $"node RSS now {ProcessProbe.Mb(ProcessProbe.RssBytes(pid))}, peak {ProcessProbe.Mb(peakRss)} (start {ProcessProbe.Mb(startRss)}); a GET meanwhile answered {(int)probeResponse.StatusCode}");

            Assert.True(node.IsRunning, $"the node exited (code {node.ExitCode}) under {readers} slow readers");
            Assert.Equal(HttpStatusCode.OK, probeResponse.StatusCode);
            Assert.True(peakRss <= startRss + RssAllowanceBytes, $"the node peaked at {ProcessProbe.Mb(peakRss)}, more than 200 MB over its {ProcessProbe.Mb(startRss)} at the start");
            Assert.True(answered, "not every slow reader got the start of an answer within 120 s");
        }
        finally
        {
            foreach (var socket in sockets)
                socket.Dispose();
        }
    }

    private static async Task<bool> WaitAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                return false;
            await Task.Delay(50);
        }

        return true;
    }
}
