using System.Globalization;
using System.Net;
using GeoLedger.Cluster;
using GeoLedger.LocalCluster;

namespace GeoLedger.Tests.MultiNode;

/// <summary>
/// A node whose Raft endpoint passes as loopback runs without a cluster secret; its Raft port must then listen on
/// loopback only (read from the kernel's socket tables), never on every interface where anyone could forge appends.
/// </summary>
[Collection(MultiNodeCollection.Name)]
public sealed class LoopbackRaftTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Theory]
    [InlineData("localhost")]
    [InlineData("[::ffff:127.0.0.1]")]
    public async Task A_node_config_with_a_loopback_raft_host_and_no_secret_listens_for_raft_on_loopback_only(string host)
    {
        var layout = ClusterLayout.OnLoopback(folder.Path, 1, host: host);
        await using var cluster = LocalClusterNodes.Start(layout);

        await AssertRaftOnLoopbackOnlyAsync(cluster.Nodes[0], cluster.Http, layout.Nodes[0].Member.Raft.Port);
    }

    [Fact]
    public async Task The_articles_command_line_with_hint_localhost_and_no_secret_listens_for_raft_on_loopback_only()
    {
        var clientPort = PortAllocator.Next();
        var raftPort = PortAllocator.Next();
        var spec = new NodeSpec(
            new ClusterMember("node-0", "default", new Uri($"http://localhost:{raftPort}/"), new Uri($"http://localhost:{clientPort}/")),
            Path.Combine(folder.Path, "node-0"));
        string[] args = ["--urls", $"http://localhost:{clientPort}", "--members:0", $"http://localhost:{clientPort}", "--hostAddressHint", "localhost"];
        await using var node = new NodeProcess(spec, new Dictionary<string, string> { ["Ledger:RaftPort"] = raftPort.ToString(CultureInfo.InvariantCulture) }, commandLine: args);
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false });
        node.Start();

        await AssertRaftOnLoopbackOnlyAsync(node, http, raftPort);
    }

    private static async Task AssertRaftOnLoopbackOnlyAsync(NodeProcess node, HttpClient http, int raftPort)
    {
        await node.WaitReadyAsync(http, TimeSpan.FromSeconds(60));

        var listening = ListeningAddresses(raftPort);
        Assert.NotEmpty(listening);
        Assert.True(listening.All(IPAddress.IsLoopback), $"Raft port {raftPort} listens on {string.Join(", ", listening)}: without a cluster secret it must listen on loopback only");
    }

    /// <summary>The local addresses of every listening TCP socket on <paramref name="port"/>, from /proc/net/tcp and tcp6.</summary>
    private static List<IPAddress> ListeningAddresses(int port)
    {
        var addresses = new List<IPAddress>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var local = fields[1].Split(':');
                if (fields[3] != "0A" || int.Parse(local[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture) != port)
                    continue;
                // The kernel prints each 32-bit word of the address in host (little-endian) order.
                var bytes = Convert.FromHexString(local[0]);
                for (var word = 0; word < bytes.Length; word += 4)
                    Array.Reverse(bytes, word, 4);
                addresses.Add(new IPAddress(bytes));
            }
        }

        return addresses;
    }
}
