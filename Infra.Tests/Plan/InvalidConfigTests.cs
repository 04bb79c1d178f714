using GeoLedger.Infra.Plan;

namespace GeoLedger.Infra.Tests.Plan;

public sealed class InvalidConfigTests
{
    public static TheoryData<string, StackConfig, string> Cases()
    {
        var ok = TestConfigs.Valid();
        var plain = TestConfigs.Plain();
        return new()
        {
            { "regions", ok with { Regions = ["eastus", "westus"] }, "at least 3" },
            { "regions", ok with { Regions = ["eastus", "westus", "eastus"] }, "listed twice" },
            { "regions", ok with { Regions = ["eastus", "West US", "centralus"] }, "not an Azure region name" },
            { "nodesPerRegion", ok with { NodesByRegion = new Dictionary<string, int> { ["eastus"] = 3 } }, "half the nodes or more" },
            { "nodesPerRegion", ok with { NodesByRegion = new Dictionary<string, int> { ["eastus"] = 2 } }, "half the nodes or more" },
            { "nodesPerRegion", ok with { NodesByRegion = new Dictionary<string, int> { ["uksouth"] = 1 } }, "not in regions" },
            { "nodesPerRegion", ok with { NodesPerRegion = 0 }, "use 1 to 50" },
            { "imageLocation", ok with { ImageLocation = null }, "not an Azure region name" },
            { "vnetCidrs", ok with { Regions = ["eastus", "westus", "marsnorth"] }, "no address range in the checked-in table" },
            { "vnetCidrs", ok with { VnetCidrs = new Dictionary<string, string> { ["westus"] = "10.1.128.0/17" } }, "overlap" },
            { "vnetCidrs", ok with { VnetCidrs = new Dictionary<string, string> { ["westus"] = "203.0.113.0/24" } }, "not a private range" },
            { "vnetCidrs", ok with { VnetCidrs = new Dictionary<string, string> { ["uksouth"] = "10.200.0.0/16" } }, "not in regions" },
            { "clientCidrs", ok with { ClientCidrs = ["203.0.113.0/33"] }, "prefix length" },
            { "clientCidrs", ok with { ClientCidrs = ["not-a-cidr"] }, "not an IPv4 CIDR" },
            { "clientCidrs", ok with { ClientCidrs = ["203.0.113.1/24"] }, "host bits" },
            { "clientCidrs", ok with { ClientCidrs = ["203.0.113.0/24", "203.0.113.128/25"] }, "overlap" },
            { "clientCidrs", ok with { ClientCidrs = ["10.2.0.0/24"] }, "cluster's private range" },
            { "clientCidrs", plain with { ClientCidrs = [] }, "required with tls off" },
            { "clientCidrs", plain with { ClientCidrs = ["0.0.0.0/0"] }, "whole internet" },
            { "adminCidr", ok with { AdminCidr = "0.0.0.0/0" }, "large part of the internet" },
            { "adminCidr", ok with { AdminCidr = "198.51.100.300/32" }, "not an IPv4 CIDR" },
            { "adminCidr", ok with { AdminCidr = "10.1.0.0/16" }, "cluster's private range" },
            { "sshPublicKey", ok with { SshPublicKey = null }, "no SSH public key" },
            { "sshPublicKey", ok with { SshPublicKey = "not a key" }, "not an OpenSSH public key" },
            { "apiToken", ok with { ApiToken = null }, "is required" },
            { "apiToken", ok with { ApiToken = "short" }, "at least 16" },
            { "apiToken", ok with { ApiToken = "token with spaces 123" }, "without spaces" },
            { "readToken", ok with { ReadToken = null }, "is required" },
            { "readToken", ok with { ReadToken = ok.ApiToken }, "equals apiToken" },
            { "clusterSecret", ok with { ClusterSecret = "" }, "is required" },
            { "tls", ok with { Tls = "maybe" }, "not a TLS mode" },
            { "tlsPfx", ok with { TlsPfx = "%%%" }, "not base64" },
            { "tlsPfx", ok with { TlsPfx = Convert.ToBase64String(new byte[64]) }, "PKCS#12" },
            { "tlsPfx", ok with { Tls = "pfx" }, "is required with tls: pfx" },
            { "tlsPfx", plain with { TlsPfx = Convert.ToBase64String(new byte[64]) }, "tls is off" },
            { "tlsPfxPassword", ok with { TlsPfxPassword = "orphan-password" }, "tlsPfx is not" },
            { "acmeServer", ok with { AcmeServer = "http://acme.example/directory" }, "not an https ACME directory" },
            { "acmeEmail", ok with { AcmeEmail = "ops at example" }, "not an e-mail" },
            { "maxRttMs", ok with { Regions = ["eastus", "westus", "japaneast"] }, "not in the checked-in table" },
            { "maxRttMs", ok with { MaxRttMs = 0 }, "out of range" },
            { "upgradeNodes", ok with { UpgradeNodes = ["eastus-7"] }, "not a node" },
            { "imageBuildAttempt", ok with { ImageBuildAttempt = 0 }, "out of range" },
            { "namePrefix", ok with { NamePrefix = "geo-ledger" }, "gallery name 'geo-ledgergallery" },
            { "namePrefix", ok with { NamePrefix = "GL" }, "storage account name" },
            { "namePrefix", ok with { NamePrefix = "geoledgerproduction" }, "storage account name" },
            { "namePrefix", ok with { NamePrefix = "1gl" }, "DNS label name" },
            { "namePrefix", ok with { NamePrefix = "" }, "must not be empty" },
            { "adminUsername", ok with { AdminUsername = "geoledger" }, "reserved" },
            { "adminUsername", ok with { AdminUsername = "Bad User" }, "not a Linux user name" },
            { "vmSize", ok with { VmSize = "Standard B2s" }, "not an Azure VM size" },
            { "dataDiskSizeGb", ok with { DataDiskSizeGb = 1 }, "out of range" },
            { "publish", ok with { ImageContentHash = "" }, "not a SHA-256" },
            { "publish", ok with { ArchiveSha256 = "abc" }, "not a SHA-256" },
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void FailsWithAMessageNamingTheSetting(string setting, StackConfig config, string fragment)
    {
        var e = Assert.Throws<PlanException>(() => ClusterPlan.Build(config));
        Assert.Equal(setting, e.Setting);
        Assert.StartsWith(setting + ":", e.Message);
        Assert.Contains(fragment, e.Message);
    }

    public static TheoryData<string, StackConfig, string> Item12Cases()
    {
        var ok = TestConfigs.Valid();
        var plain = TestConfigs.Plain();
        return new()
        {
            // SSH to the world is refused even when the API is open to everyone over https.
            { "adminCidr", ok with { ClientCidrs = ["0.0.0.0/0"], AdminCidr = "0.0.0.0/0" }, "large part of the internet" },
            { "adminCidr", ok with { ClientCidrs = [], AdminCidr = "10.3.0.0/16" }, "cluster's private range" },
            // Two halves are the whole internet; plain http must not reach it.
            { "clientCidrs", plain with { ClientCidrs = ["128.0.0.0/2", "192.0.0.0/2"] }, "more than a /8" },
            { "clientCidrs", plain with { ClientCidrs = ["64.0.0.0/7"] }, "more than a /8" },
        };
    }

    [Theory]
    [MemberData(nameof(Item12Cases))]
    [Trait("Item", "12")]
    public void Item12_AdminCidrIsAlwaysCheckedAndPlainHttpNeverReachesTheInternet(string setting, StackConfig config, string fragment)
    {
        var e = Assert.Throws<PlanException>(() => ClusterPlan.Build(config));
        Assert.Equal(setting, e.Setting);
        Assert.Contains(fragment, e.Message);
    }

    [Fact]
    [Trait("Item", "12")]
    public void Item12_HttpsMayServeTheInternetAndPlainHttpAFewRanges()
    {
        Assert.Equal(["Internet"], ClusterPlan.Build(TestConfigs.Valid() with { ClientCidrs = ["0.0.0.0/0"] }).Regions[0].NsgRules[0].Sources);
        var plain = ClusterPlan.Build(TestConfigs.Plain() with { ClientCidrs = ["11.0.0.0/8"] });
        Assert.Equal(["11.0.0.0/8"], plain.Regions[0].NsgRules[0].Sources);
    }

    [Fact]
    [Trait("Item", "19")]
    public void Item19_ThePlanRefusesMoreMembersThanTheServiceAccepts()
    {
        Assert.Equal(GeoLedger.LedgerNode.MaxMembers, ClusterPlan.MaxMembers);
        var e = Assert.Throws<PlanException>(() => ClusterPlan.Build(TestConfigs.Valid(TestConfigs.FiveRegions)));
        Assert.Equal("regions", e.Setting);
        Assert.Contains($"longer than {ClusterPlan.MaxMembers}", e.Message);
        var perRegion = Assert.Throws<PlanException>(() => ClusterPlan.Build(TestConfigs.Valid(TestConfigs.ThreeRegions, nodesPerRegion: 2)));
        Assert.Equal("nodesPerRegion", perRegion.Setting);
    }

    [Fact]
    public void MaxRttMsFillsAPairMissingFromTheTable()
    {
        var plan = ClusterPlan.Build(TestConfigs.Valid() with { Regions = ["eastus", "westus", "japaneast"], MaxRttMs = 160 });
        Assert.Equal(160, plan.Timeouts.RttMs);
    }

    [Fact]
    public void NodesPerRegionRejectsNonsense()
    {
        var e = Assert.Throws<PlanException>(() => StackConfig.ParseNodesPerRegion("two"));
        Assert.Equal("nodesPerRegion", e.Setting);
    }
}
