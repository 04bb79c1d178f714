using GeoLedger.Infra.Plan;

namespace GeoLedger.Infra.Tests.Plan;

public sealed class InvalidConfigTests
{
    public static TheoryData<string, StackConfig, string> Cases()
    {
        var ok = TestConfigs.Valid();
        return new()
        {
            { "regions", ok with { Regions = ["eastus", "westus"] }, "at least 3" },
            { "regions", ok with { Regions = ["eastus", "westus", "eastus"] }, "listed twice" },
            { "regions", ok with { Regions = ["eastus", "West US", "centralus"] }, "not an Azure region name" },
            { "nodesPerRegion", ok with { NodesByRegion = new Dictionary<string, int> { ["eastus"] = 3 } }, "half the nodes or more" },
            { "nodesPerRegion", ok with { NodesByRegion = new Dictionary<string, int> { ["eastus"] = 2 } }, "half the nodes or more" },
            { "nodesPerRegion", ok with { NodesByRegion = new Dictionary<string, int> { ["uksouth"] = 1 } }, "not in regions" },
            { "nodesPerRegion", ok with { NodesPerRegion = 0 }, "use 1 to 50" },
            { "clientCidrs", ok with { ClientCidrs = ["203.0.113.0/33"] }, "prefix length" },
            { "clientCidrs", ok with { ClientCidrs = ["not-a-cidr"] }, "not an IPv4 CIDR" },
            { "clientCidrs", ok with { ClientCidrs = ["203.0.113.1/24"] }, "host bits" },
            { "clientCidrs", ok with { ClientCidrs = ["203.0.113.0/24", "203.0.113.128/25"] }, "overlap" },
            { "clientCidrs", ok with { ClientCidrs = ["10.2.0.0/24"] }, "cluster's private range" },
            { "clientCidrs", ok with { ClientCidrs = [] }, "required without tlsPfx" },
            { "clientCidrs", ok with { ClientCidrs = ["0.0.0.0/0"] }, "whole internet" },
            { "adminCidr", ok with { AdminCidr = "0.0.0.0/0" }, "large part of the internet" },
            { "adminCidr", ok with { AdminCidr = "198.51.100.300/32" }, "not an IPv4 CIDR" },
            { "adminCidr", ok with { AdminCidr = "10.1.0.0/16" }, "cluster's private range" },
            { "sshPublicKey", ok with { SshPublicKey = null }, "no SSH public key" },
            { "sshPublicKey", ok with { SshPublicKey = "not a key" }, "not an OpenSSH public key" },
            { "apiToken", ok with { ApiToken = null }, "is required" },
            { "apiToken", ok with { ApiToken = "short" }, "at least 16" },
            { "apiToken", ok with { ApiToken = "token with spaces 123" }, "without spaces" },
            { "clusterSecret", ok with { ClusterSecret = "" }, "is required" },
            { "tlsPfx", ok with { TlsPfx = "%%%" }, "not base64" },
            { "tlsPfx", ok with { TlsPfx = Convert.ToBase64String(new byte[64]) }, "PKCS#12" },
            { "tlsPfxPassword", ok with { TlsPfxPassword = "orphan-password" }, "tlsPfx is not" },
            { "maxRttMs", ok with { Regions = ["eastus", "westus", "japaneast"] }, "not in the checked-in table" },
            { "maxRttMs", ok with { MaxRttMs = 0 }, "out of range" },
            { "upgradeNodes", ok with { UpgradeNodes = ["eastus-7"] }, "not a node" },
            { "namePrefix", ok with { NamePrefix = "geo-ledger" }, "gallery name 'geo-ledgergallery" },
            { "namePrefix", ok with { NamePrefix = "GL" }, "storage account name" },
            { "namePrefix", ok with { NamePrefix = "geoledgerproduction" }, "storage account name" },
            { "namePrefix", ok with { NamePrefix = "1gl" }, "DNS label name" },
            { "namePrefix", ok with { NamePrefix = "" }, "must not be empty" },
            { "adminUsername", ok with { AdminUsername = "geoledger" }, "reserved" },
            { "adminUsername", ok with { AdminUsername = "Bad User" }, "not a Linux user name" },
            { "vmSize", ok with { VmSize = "Standard B2s" }, "not an Azure VM size" },
            { "dataDiskSizeGb", ok with { DataDiskSizeGb = 1 }, "out of range" },
            { "publish", ok with { ImageContentHash = "" }, "publish.sh" },
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
