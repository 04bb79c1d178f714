using System.Text;
using GeoLedger.Cluster;
using GeoLedger.Infra.Plan;
using YamlDotNet.RepresentationModel;

namespace GeoLedger.Infra.Tests.Plan;

public sealed class ClusterPlanTests
{
    public static TheoryData<int, int> Shapes => TestConfigs.Shapes();

    private static ClusterPlan Make(int regions, int nodes) =>
        ClusterPlan.Build(TestConfigs.Valid(regions == 3 ? TestConfigs.ThreeRegions : TestConfigs.FiveRegions, nodes));

    [Theory]
    [MemberData(nameof(Shapes))]
    public void VnetRangesAreDisjointAndHoldTheirNodes(int regions, int nodes)
    {
        var plan = Make(regions, nodes);
        var ranges = plan.Regions.Select(r => Cidr.Parse(r.VnetCidr, "test")).ToList();

        Assert.Equal(regions, ranges.Count);
        for (var i = 0; i < ranges.Count; i++)
        {
            for (var j = i + 1; j < ranges.Count; j++)
                Assert.False(ranges[i].Overlaps(ranges[j]), $"{ranges[i]} overlaps {ranges[j]}");
        }

        foreach (var region in plan.Regions)
        {
            var subnet = Cidr.Parse(region.SubnetCidr, "test");
            Assert.True(subnet.Overlaps(Cidr.Parse(region.VnetCidr, "test")));
            Assert.Equal(nodes, region.Nodes.Count);
            foreach (var node in region.Nodes)
                Assert.True(subnet.Overlaps(Cidr.Parse(node.PrivateIp, "test")), $"{node.PrivateIp} is outside {subnet}");
        }

        Assert.Equal(plan.Nodes.Count(), plan.Nodes.Select(n => n.PrivateIp).Distinct().Count());
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EveryNodeConfigListsEveryNodeOnceAndNamesItself(int regions, int nodes)
    {
        var plan = Make(regions, nodes);
        var all = plan.Nodes.ToList();
        Assert.Equal(regions * nodes, all.Count);

        foreach (var node in all)
        {
            var config = NodeConfigLoader.Parse(node.NodeConfigJson);
            Assert.Equal(node.Id, config.Self);
            Assert.Equal(all.Select(n => n.Id).Order(), config.Members.Select(m => m.Id).Order());
            foreach (var expected in all)
            {
                var member = Assert.Single(config.Members, m => m.Id == expected.Id);
                Assert.Equal(expected.Region, member.Region);
                Assert.Equal(new Uri($"http://{expected.PrivateIp}:3262/"), member.Raft);
                Assert.Equal(new Uri($"https://{expected.Fqdn}/"), member.Public);
                Assert.StartsWith("10.", member.Raft.Host);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void TheServicesLoaderAcceptsEveryRenderedFileAndRendersItByteForByte(int regions, int nodes)
    {
        foreach (var node in Make(regions, nodes).Nodes)
        {
            var parsed = NodeConfigLoader.Parse(node.NodeConfigJson);
            NodeConfigLoader.Validate(parsed);
            Assert.Equal(node.NodeConfigJson, NodeConfigLoader.Render(parsed));
            Assert.EndsWith("}\n", node.NodeConfigJson);
            Assert.DoesNotContain("\r", node.NodeConfigJson);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void NsgNeverOpensRaftOrSshToTheInternet(int regions, int nodes)
    {
        var config = TestConfigs.Valid(regions == 3 ? TestConfigs.ThreeRegions : TestConfigs.FiveRegions, nodes) with { AdminCidr = "198.51.100.0/28" };
        var plan = ClusterPlan.Build(config);
        var vnets = plan.Regions.Select(r => r.VnetCidr).Order().ToList();

        foreach (var region in plan.Regions)
        {
            var raft = Assert.Single(region.NsgRules, r => r.Port == ClusterPlan.RaftPort && r.Protocol == NsgProtocol.Tcp);
            Assert.False(raft.IsOpenToInternet);
            Assert.Equal(vnets, raft.Sources.Order().ToList());
            var datagrams = Assert.Single(region.NsgRules, r => r.Port == ClusterPlan.RaftPort && r.Protocol == NsgProtocol.Udp);
            Assert.False(datagrams.IsOpenToInternet);
            Assert.Equal(vnets, datagrams.Sources.Order().ToList());
            Assert.Single(region.NsgRules, r => r.Protocol == NsgProtocol.Udp); // nothing else is open to UDP

            var ssh = Assert.Single(region.NsgRules, r => r.Port == ClusterPlan.SshPort);
            Assert.False(ssh.IsOpenToInternet);
            Assert.Equal(["198.51.100.0/28"], ssh.Sources);

            var api = Assert.Single(region.NsgRules, r => r.Port == 443 && r.Name != "allow-api-from-cluster");
            Assert.Equal(["203.0.113.0/24", "198.51.100.7/32"], api.Sources);
            var acme = Assert.Single(region.NsgRules, r => r.Port == 80 && r.Name != "allow-api-from-cluster");
            Assert.Equal(["Internet"], acme.Sources);
            Assert.Equal(region.NsgRules.Count, region.NsgRules.Select(r => r.Priority).Distinct().Count());

            // The membership steps reach the members' API over the peerings, never from the internet.
            var cluster = Assert.Single(region.NsgRules, r => r.Name == "allow-api-from-cluster");
            Assert.Equal(443, cluster.Port);
            Assert.Equal(vnets, cluster.Sources.Order().ToList());
        }
    }

    [Fact]
    public void PlainHttpServesPort80ToTheClientRangesOnly()
    {
        var plan = ClusterPlan.Build(TestConfigs.Plain());
        Assert.Equal(80, plan.ClientPort);
        Assert.All(plan.Nodes, n => Assert.Equal($"http://{n.Fqdn}/", n.PublicUrl.AbsoluteUri));
        var api = Assert.Single(plan.Regions[0].NsgRules, r => r.Port == 80 && r.Name != "allow-api-from-cluster");
        Assert.Equal(["203.0.113.0/24", "198.51.100.7/32"], api.Sources);
        Assert.DoesNotContain(plan.Nodes.First().EnvFile.Split('\n'), l => l.StartsWith("Ledger__TlsCertificateFile", StringComparison.Ordinal));
    }

    [Fact]
    public void NoSshRuleWithoutAdminCidr()
    {
        var plan = ClusterPlan.Build(TestConfigs.Valid());
        Assert.All(plan.Regions, r => Assert.DoesNotContain(r.NsgRules, rule => rule.Port == ClusterPlan.SshPort));
    }

    [Fact]
    public void WithTlsTheApiIsHttpsOn443AndMayBeOpenToTheInternet()
    {
        var (pfx, password) = TestCertificates.Pfx();
        var plan = ClusterPlan.Build(TestConfigs.Valid() with { ClientCidrs = [], TlsPfx = pfx, TlsPfxPassword = password });
        Assert.Equal(TlsMode.Pfx, plan.TlsMode);

        Assert.Equal(443, plan.ClientPort);
        Assert.All(plan.Nodes, n => Assert.Equal($"https://{n.Fqdn}/", n.PublicUrl.AbsoluteUri));
        var api = Assert.Single(plan.Regions[0].NsgRules, r => r.Port == 443 && r.Name != "allow-api-from-cluster");
        Assert.Equal(["Internet"], api.Sources);
        Assert.DoesNotContain(plan.Regions[0].NsgRules, r => r.Port == 80 && r.Name != "allow-api-from-cluster");

        var env = plan.Nodes.First().EnvFile;
        Assert.Contains("Kestrel__Certificates__Default__Path=/etc/geoledger/tls.pfx\n", env);
        Assert.Contains($"Kestrel__Certificates__Default__Password={password}\n", env);
        var files = CloudInitFiles(plan.Nodes.First().CloudInit);
        Assert.Equal(Convert.FromBase64String(pfx), files["/etc/geoledger/tls.pfx"].Content);
        Assert.Equal("0600", files["/etc/geoledger/tls.pfx"].Permissions);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void CloudInitIsYamlAndWritesTheNodeConfigByteForByte(int regions, int nodes)
    {
        foreach (var node in Make(regions, nodes).Nodes)
        {
            Assert.StartsWith("#cloud-config\n", node.CloudInit);
            var files = CloudInitFiles(node.CloudInit);

            Assert.Equal(Encoding.UTF8.GetBytes(node.NodeConfigJson), files["/etc/geoledger/node.json"].Content);
            Assert.Equal(Encoding.UTF8.GetBytes(node.EnvFile), files["/etc/geoledger/env"].Content);
            Assert.Equal("0600", files["/etc/geoledger/env"].Permissions);
            Assert.Equal("root:root", files["/etc/geoledger/env"].Owner);
            Assert.Equal(Encoding.UTF8.GetBytes(Scripts.DataDisk), files[CloudInit.DataDiskScriptPath].Content);
            Assert.False(files.ContainsKey("/etc/geoledger/tls.pfx"));

            var runcmd = RunCommands(node.CloudInit);
            Assert.Equal([[CloudInit.FirstBootPath]], runcmd);
        }
    }

    [Fact]
    public void EnvFileCarriesSecretsDataDirectoryAndTimeouts()
    {
        var plan = ClusterPlan.Build(TestConfigs.Valid());
        var lines = plan.Nodes.First().EnvFile.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var env = lines.Select(l => l.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);

        Assert.Equal("/etc/geoledger/node.json", env["Ledger__NodeConfig"]);
        Assert.Equal("/var/lib/geoledger", env["Ledger__DataDirectory"]);
        Assert.Equal("token-0123456789abcdef", env["Ledger__ApiTokens__0__Token"]);
        Assert.Equal("write", env["Ledger__ApiTokens__0__Access"]);
        Assert.Equal("reader-0123456789abcdef", env["Ledger__ApiTokens__1__Token"]);
        Assert.Equal("read", env["Ledger__ApiTokens__1__Access"]);
        Assert.Equal("true", env["Ledger__RequireReadAuth"]);
        Assert.Equal("secret-0123456789abcdef", env["Ledger__ClusterSecret"]);
        Assert.Equal("1000", env["Raft__lowerElectionTimeout"]);
        Assert.Equal("2000", env["Raft__upperElectionTimeout"]);
        Assert.Equal("00:00:01", env["Raft__rpcTimeout"]);
        Assert.Equal("00:00:04", env["Raft__requestTimeout"]);
        Assert.Equal("0.3", env["Raft__heartbeatThreshold"]);
        Assert.DoesNotContain("Kestrel__Certificates__Default__Path", env.Keys);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void EveryGeneratedNamePassesItsAzureRule(int regions, int nodes)
    {
        var plan = Make(regions, nodes);
        foreach (var (kind, name) in plan.AllNames())
            Assert.True(AzureNames.IsValid(kind, name), $"{kind} '{name}' breaks: {AzureNames.Rule(kind)}");
        Assert.DoesNotContain('-', plan.Image.GalleryName);
        Assert.InRange(plan.Image.StorageAccountName.Length, 3, 24);
    }

    [Fact]
    public void DnsLabelsCarryTheSubscriptionAndStackHash()
    {
        var a = ClusterPlan.Build(TestConfigs.Valid());
        var b = ClusterPlan.Build(TestConfigs.Valid() with { StackName = "prod" });
        var c = ClusterPlan.Build(TestConfigs.Valid() with { SubscriptionId = "99999999-1111-2222-3333-444444444444" });

        Assert.Equal(a.Nodes.Select(n => n.DnsLabel), ClusterPlan.Build(TestConfigs.Valid()).Nodes.Select(n => n.DnsLabel));
        Assert.All(a.Nodes, n => Assert.EndsWith("-" + a.NameHash, n.DnsLabel));
        Assert.Empty(a.Nodes.Select(n => n.DnsLabel).Intersect(b.Nodes.Select(n => n.DnsLabel)));
        Assert.Empty(a.Nodes.Select(n => n.DnsLabel).Intersect(c.Nodes.Select(n => n.DnsLabel)));
        Assert.NotEqual(a.Image.StorageAccountName, b.Image.StorageAccountName);
        Assert.Equal("gl-eastus-0-" + a.NameHash, a.Nodes.First().DnsLabel);
        Assert.Equal($"https://gl-eastus-0-{a.NameHash}.eastus.cloudapp.azure.com/", a.Nodes.First().PublicUrl.AbsoluteUri);
    }

    [Fact]
    public void PeeringsFormAFullMeshBothWays()
    {
        var plan = Make(3, 1);
        Assert.Equal(3 * 2, plan.Peerings.Count);
        foreach (var a in plan.Regions)
        {
            foreach (var b in plan.Regions.Where(r => r != a))
                Assert.Single(plan.Peerings, p => p.From == a.Region && p.To == b.Region);
        }
    }

    [Fact]
    public void NodesPerRegionMayBeAnObject()
    {
        var (perRegion, byRegion) = StackConfig.ParseNodesPerRegion("""{"eastus": 1, "westus": 1}""");
        var plan = ClusterPlan.Build(TestConfigs.Valid() with { NodesPerRegion = perRegion, NodesByRegion = byRegion });

        Assert.Equal([1, 1, 1], plan.Regions.Select(r => r.Nodes.Count));
        Assert.Equal(new Dictionary<string, int> { ["eastus"] = 1, ["westus"] = 1 }, byRegion);
        Assert.Equal((3, null), StackConfig.ParseNodesPerRegion("3"));
    }

    internal sealed record WrittenFile(byte[] Content, string Owner, string Permissions);

    internal static Dictionary<string, WrittenFile> CloudInitFiles(string cloudInit)
    {
        var root = LoadYaml(cloudInit);
        var files = new Dictionary<string, WrittenFile>();
        foreach (var item in ((YamlSequenceNode)root["write_files"]).Children.Cast<YamlMappingNode>())
        {
            string Scalar(string key) => ((YamlScalarNode)item[key]).Value!;
            Assert.Equal("b64", Scalar("encoding"));
            files.Add(Scalar("path"), new WrittenFile(Convert.FromBase64String(Scalar("content")), Scalar("owner"), Scalar("permissions")));
        }

        return files;
    }

    internal static List<List<string>> RunCommands(string cloudInit) =>
        ((YamlSequenceNode)LoadYaml(cloudInit)["runcmd"]).Children
            .Select(c => ((YamlSequenceNode)c).Children.Select(s => ((YamlScalarNode)s).Value!).ToList()).ToList();

    private static YamlMappingNode LoadYaml(string text)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(text));
        return (YamlMappingNode)Assert.Single(yaml.Documents).RootNode;
    }
}
