using GeoLedger.Cluster;
using GeoLedger.Infra.Plan;

namespace GeoLedger.Infra.Tests.Plan;

/// <summary><c>leaderRegions</c>: each node's <c>priority</c> in every node config, in the order given; bad lists refused naming the setting.</summary>
public sealed class LeaderRegionsTests
{
    [Fact]
    public void EachNodeConfigGivesEveryMemberItsRegionsPriorityInTheOrderListed()
    {
        var plan = ClusterPlan.Build(TestConfigs.Valid(TestConfigs.FiveRegions) with { LeaderRegions = ["westus", "eastus"] });
        var expected = new Dictionary<string, int> { ["westus"] = 2, ["eastus"] = 1 };
        foreach (var node in plan.Nodes)
        {
            Assert.Equal(expected.GetValueOrDefault(node.Region), node.Priority);
            var config = NodeConfigLoader.Parse(node.NodeConfigJson);
            foreach (var member in config.Members)
                Assert.Equal(expected.GetValueOrDefault(member.Region), member.Priority);
            Assert.Equal("westus-0", config.Preferred?.Id);
            Assert.Equal(node.NodeConfigJson, NodeConfigLoader.Render(config)); // the service renders the same bytes
        }
    }

    [Fact]
    public void WithoutLeaderRegionsNoNodeConfigCarriesAPriority()
    {
        foreach (var node in ClusterPlan.Build(TestConfigs.Valid()).Nodes)
        {
            Assert.Equal(0, node.Priority);
            Assert.DoesNotContain("priority", node.NodeConfigJson, StringComparison.Ordinal);
            Assert.Null(NodeConfigLoader.Parse(node.NodeConfigJson).Preferred);
        }
    }

    [Theory]
    [InlineData("northeurope", "not one of the stack's regions")]
    [InlineData("eastus,eastus", "listed twice")]
    [InlineData("", "not one of the stack's regions")]
    public void ABadListIsRefusedNamingTheSetting(string list, string message)
    {
        var config = TestConfigs.Valid() with { LeaderRegions = list.Split(',') };
        var e = Assert.Throws<PlanException>(() => ClusterPlan.Build(config));
        Assert.Contains("leaderRegions", e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }
}
