using GeoLedger.Infra.Plan;

namespace GeoLedger.Infra.Tests.Plan;

public sealed class RegionOrderTests
{
    [Fact]
    [Trait("Item", "20")]
    public void Item20_RegionOrderChangesNoAddressAndNoImageLocation()
    {
        var a = ClusterPlan.Build(TestConfigs.Valid(["eastus", "westus", "centralus"]));
        var b = ClusterPlan.Build(TestConfigs.Valid(["centralus", "eastus", "westus"]));

        Assert.Equal(a.Image, b.Image with { ReplicationRegions = a.Image.ReplicationRegions });
        Assert.Equal(a.Image.TemplateName, b.Image.TemplateName);
        Assert.Equal(a.Nodes.ToDictionary(n => n.Id, n => (n.PrivateIp, n.RaftUrl)), b.Nodes.ToDictionary(n => n.Id, n => (n.PrivateIp, n.RaftUrl)));
        Assert.Equal(a.Regions.ToDictionary(r => r.Region, r => r.VnetCidr), b.Regions.ToDictionary(r => r.Region, r => r.VnetCidr));
        // The article's first deployments numbered eastus, westus, centralus 1, 2, 3: they keep their addresses.
        Assert.Equal("10.1.0.4", a.Nodes.Single(n => n.Id == "eastus-0").PrivateIp);
        Assert.Equal("10.2.0.4", a.Nodes.Single(n => n.Id == "westus-0").PrivateIp);
        Assert.Equal("10.3.0.4", a.Nodes.Single(n => n.Id == "centralus-0").PrivateIp);
    }

    [Fact]
    [Trait("Item", "20")]
    public void Item20_ARegionOutsideTheTableTakesItsRangeFromVnetCidrs()
    {
        var plan = ClusterPlan.Build(TestConfigs.Valid(["eastus", "westus", "marsnorth"]) with
        {
            VnetCidrs = new Dictionary<string, string> { ["marsnorth"] = "10.200.0.0/16" },
            MaxRttMs = 300,
        });
        Assert.Equal("10.200.0.4", plan.Nodes.Single(n => n.Region == "marsnorth").PrivateIp);
        Assert.Equal("10.200.0.0/24", plan.Regions.Single(r => r.Region == "marsnorth").SubnetCidr);
    }

    [Fact]
    public void TheRangeTableNeverGivesTwoRegionsOneRange()
    {
        var ranges = VnetRanges.Regions.Select(r => VnetRanges.For(r)!.Value).ToList();
        Assert.Equal(ranges.Count, ranges.Distinct().Count());
        Assert.Equal(VnetRanges.Regions.Count, VnetRanges.Regions.Distinct().Count());
        Assert.All(RegionRtt.KnownRegions, r => Assert.NotNull(VnetRanges.For(r)));
    }
}
