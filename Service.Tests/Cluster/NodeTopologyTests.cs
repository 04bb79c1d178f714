using System.Net;
using GeoLedger.Cluster;
using GeoLedger.Ledger;
using Microsoft.Extensions.Configuration;

namespace GeoLedger.Tests.Cluster;

/// <summary>Where a node listens: the <c>urls</c> setting, the bind address rule, and the order of topology sources.</summary>
public sealed class NodeTopologyTests
{
    [Theory]
    [InlineData("http://+:80", "http://0.0.0.0/")]
    [InlineData("http://*:5080", "http://0.0.0.0:5080/")]
    [InlineData("http://localhost:5080", "http://127.0.0.1:5080/")]
    [InlineData("http://0.0.0.0:80", "http://0.0.0.0/")]
    [InlineData("https://127.0.0.2:5443", "https://127.0.0.2:5443/")]
    [InlineData("http://[::1]:5080", "http://[::1]:5080/")]
    public void ParseUrls_normalises_one_url(string urls, string expected)
    {
        Assert.Equal(new Uri(expected), Assert.Single(NodeTopology.ParseUrls(urls)));
    }

    [Fact]
    public void ParseUrls_splits_on_semicolons_and_skips_empty_entries()
    {
        var urls = NodeTopology.ParseUrls(" http://127.0.0.1:5080 ; ;http://+:5081;");

        Assert.Equal([new Uri("http://127.0.0.1:5080/"), new Uri("http://0.0.0.0:5081/")], urls);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("ftp://127.0.0.1:21")]
    [InlineData("127.0.0.1:5080")]
    [InlineData("http://127.0.0.1:5080;nonsense")]
    public void ParseUrls_refuses_garbage_and_names_the_entry(string urls)
    {
        var message = Assert.Throws<NodeConfigException>(() => NodeTopology.ParseUrls(urls)).Message;

        Assert.Contains("urls entry '", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ; ")]
    public void ParseUrls_refuses_an_empty_list(string urls)
    {
        Assert.Contains("urls is empty", Assert.Throws<NodeConfigException>(() => NodeTopology.ParseUrls(urls)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.2:5080/", "127.0.0.2")]
    [InlineData("http://[::1]:5080/", "::1")]
    [InlineData("http://10.1.0.4:3262/", "0.0.0.0")]
    [InlineData("http://gl-eastus-0.eastus.cloudapp.azure.com/", "0.0.0.0")]
    public void A_node_binds_a_loopback_address_exactly_and_anything_else_on_all_interfaces(string url, string address)
    {
        var endpoint = NodeTopology.ListenFor(new Uri(url));

        Assert.Equal(IPAddress.Parse(address), endpoint.Address);
        Assert.Equal(new Uri(url).Port, endpoint.Port);
        Assert.False(endpoint.Https);
    }

    [Fact]
    public void Without_a_node_config_or_members_a_single_node_listens_on_urls_with_raft_on_loopback()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["urls"] = "http://localhost:6000" }).Build();

        var topology = NodeTopology.Resolve(configuration, new LedgerOptions { RaftPort = 6001 });

        Assert.Equal("node-0", topology.Self.Id);
        Assert.Equal(new Uri("http://127.0.0.1:6001/"), topology.Self.Raft);
        Assert.Equal(new ListenEndpoint(IPAddress.Loopback, 6001, false), topology.Raft);
        Assert.Equal(new ListenEndpoint(IPAddress.Loopback, 6000, false), Assert.Single(topology.Client));
    }

    [Fact]
    public void The_article_command_line_resolves_self_from_the_hint()
    {
        var configuration = new ConfigurationBuilder().AddCommandLine(
            ["--urls", "http://127.0.0.3:5080", "--members:0", "http://127.0.0.1:5080", "--members:1", "http://127.0.0.2:5080", "--members:2", "http://127.0.0.3:5080", "--hostAddressHint", "127.0.0.3"]).Build();

        var topology = NodeTopology.Resolve(configuration, new LedgerOptions { RaftPort = 3262 });

        Assert.Equal("node-2", topology.Self.Id);
        Assert.Equal(new ListenEndpoint(IPAddress.Parse("127.0.0.3"), 3262, false), topology.Raft);
    }

    [Fact]
    public void Members_without_a_hint_are_refused_naming_the_hint()
    {
        var configuration = new ConfigurationBuilder().AddCommandLine(["--members:0", "http://127.0.0.1:5080"]).Build();

        var message = Assert.Throws<NodeConfigException>(() => NodeTopology.Resolve(configuration, new LedgerOptions())).Message;

        Assert.Contains("--hostAddressHint", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_node_config_file_wins_and_the_node_listens_on_its_own_ports_only()
    {
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "node.json");
        File.WriteAllText(path, NodeConfigLoader.Render(new NodeConfig("b",
        [
            new ClusterMember("a", "r1", new Uri("http://10.0.0.1:3262/"), new Uri("http://a.example/")),
            new ClusterMember("b", "r2", new Uri("http://10.0.0.2:3263/"), new Uri("http://b.example:8080/")),
        ])));
        var configuration = new ConfigurationBuilder().AddCommandLine(["--urls", "http://127.0.0.1:9999", "--members:0", "http://127.0.0.1:1"]).Build();

        var topology = NodeTopology.Resolve(configuration, new LedgerOptions { NodeConfig = path });

        Assert.Equal("b", topology.Self.Id);
        Assert.Equal(new ListenEndpoint(IPAddress.Any, 8080, false), Assert.Single(topology.Client));
        Assert.Equal(new ListenEndpoint(IPAddress.Any, 3263, false), topology.Raft);
    }
}
