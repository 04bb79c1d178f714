using System.Text.Json;
using GeoLedger.Cluster;
using GeoLedger.Infra.Plan;

namespace GeoLedger.Infra.Tests.Plan;

/// <summary>
/// Growing and shrinking the cluster with <c>pulumi up</c>: who joins, with which member list, who leaves,
/// and the changes the plan refuses (issue 14, item 1).
/// </summary>
public sealed class MembershipTests
{
    private static readonly string[] Four = ["eastus", "westus", "centralus", "eastus2"];
    private static readonly string[] Five = ["eastus", "westus", "centralus", "eastus2", "westus2"];

    [Fact]
    public void AFirstDeploymentFoundsTheClusterWithEveryNode()
    {
        var plan = ClusterPlan.Build(TestConfigs.Valid());

        Assert.True(plan.Membership.Founding);
        Assert.Empty(plan.Membership.Joins);
        Assert.Empty(plan.Membership.Leaves);
        foreach (var node in plan.Nodes)
        {
            Assert.False(node.Join);
            Assert.DoesNotContain("\"join\"", node.NodeConfigJson);
            Assert.Equal(plan.Nodes.Select(n => n.Id), NodeConfigLoader.Parse(node.NodeConfigJson).Members.Select(m => m.Id));
        }
    }

    [Fact]
    public void AddingARegionJoinsItsNodeWithTheRunningMembersAndItselfAndTouchesNoRunningNode()
    {
        var first = ClusterPlan.Build(TestConfigs.Valid());
        var second = ClusterPlan.Build(TestConfigs.Valid(Four) with { DeployedImages = first.NodeImages() });

        Assert.False(second.Membership.Founding);
        Assert.Equal(["eastus2-0"], second.Membership.Joins);
        var joiner = second.Nodes.Single(n => n.Id == "eastus2-0");
        Assert.True(joiner.Join && joiner.TakesCurrentImage);
        var config = NodeConfigLoader.Parse(joiner.NodeConfigJson);
        Assert.Equal("eastus2-0", config.Self);
        Assert.Equal(["eastus-0", "westus-0", "centralus-0", "eastus2-0"], config.Members.Select(m => m.Id));
        Assert.True(JsonDocument.Parse(joiner.NodeConfigJson).RootElement.GetProperty("join").GetBoolean());
        Assert.True(config.Join);
        Assert.Equal(joiner.NodeConfigJson, NodeConfigLoader.Render(config)); // the service renders the same bytes

        // The running nodes: same image, same cloud-init byte for byte (their member list is the one they were born with).
        foreach (var node in first.Nodes)
        {
            var now = second.Nodes.Single(n => n.Id == node.Id);
            Assert.False(now.Join || now.TakesCurrentImage);
            Assert.Equal((node.ImageVersionId, node.CloudInit), (now.ImageVersionId, now.CloudInit));
        }
    }

    [Fact]
    public void TwoNewNodesJoinOneAfterTheOtherEachListingTheOnesBefore()
    {
        var first = ClusterPlan.Build(TestConfigs.Valid());
        var plan = ClusterPlan.Build(TestConfigs.Valid(Five) with { DeployedImages = first.NodeImages() });

        Assert.Equal(["eastus2-0", "westus2-0"], plan.Membership.Joins);
        Assert.Equal(["eastus-0", "westus-0", "centralus-0", "eastus2-0"], plan.Membership.StartMembers["eastus2-0"]);
        Assert.Equal(["eastus-0", "westus-0", "centralus-0", "eastus2-0", "westus2-0"], plan.Membership.StartMembers["westus2-0"]);
        Assert.Equal(["eastus-0", "westus-0", "centralus-0", "eastus2-0", "westus2-0"],
            NodeConfigLoader.Parse(plan.Nodes.Single(n => n.Id == "westus2-0").NodeConfigJson).Members.Select(m => m.Id));
    }

    [Fact]
    public void ANodeLeavesFromAStayingMemberAndNothingElseChanges()
    {
        var before = ClusterPlan.Build(TestConfigs.Valid(Four) with { DeployedImages = ClusterPlan.Build(TestConfigs.Valid(Four)).NodeImages() });
        var plan = ClusterPlan.Build(before.Config with { LeaveNodes = ["eastus2-0"] });

        Assert.Equal(["eastus2-0"], plan.Membership.Leaves);
        Assert.Empty(plan.Membership.Joins);
        Assert.Equal("eastus-0", plan.Membership.Operator);
        Assert.Equal(["eastus2-0"], plan.Nodes.Where(n => n.Leaving).Select(n => n.Id));
        Assert.Equal(before.Nodes.Select(n => (n.Id, n.CloudInit, n.ImageVersionId)), plan.Nodes.Select(n => (n.Id, n.CloudInit, n.ImageVersionId)));
    }

    [Fact]
    public void TheOperatorIsNeverTheLeavingNode()
    {
        var nodes = TestConfigs.Valid(Four) with { NodesByRegion = new Dictionary<string, int> { ["eastus"] = 2 } };
        var running = ClusterPlan.Build(nodes).NodeImages();
        var plan = ClusterPlan.Build(nodes with { DeployedImages = running, LeaveNodes = ["eastus-1"] });
        Assert.Equal("eastus-0", plan.Membership.Operator);

        var withoutFirst = running.Where(kv => kv.Key != "eastus-0").ToDictionary();
        var e = Assert.Throws<PlanException>(() => ClusterPlan.Build(nodes with { DeployedImages = withoutFirst, LeaveNodes = ["eastus-1"] }));
        Assert.Equal("leaveNodes", e.Setting);
        Assert.Contains("eastus-0 would join and eastus-1 leave in one update", e.Message);
    }

    [Theory]
    [InlineData("nowhere-0", "'nowhere-0' is not a node of this stack")]
    [InlineData("eastus2-0,eastus2-0", "'eastus2-0' is listed twice")]
    public void ABadLeaveIsRefusedNamingLeaveNodes(string leave, string message)
    {
        var running = ClusterPlan.Build(TestConfigs.Valid(Four)).NodeImages();
        var e = Assert.Throws<PlanException>(() => ClusterPlan.Build(TestConfigs.Valid(Four) with { DeployedImages = running, LeaveNodes = leave.Split(',') }));
        Assert.Equal("leaveNodes", e.Setting);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void LeavingDropsBelowThreeRegionsIsRefused()
    {
        var running = ClusterPlan.Build(TestConfigs.Valid()).NodeImages();
        var e = Assert.Throws<PlanException>(() => ClusterPlan.Build(TestConfigs.Valid() with { DeployedImages = running, LeaveNodes = ["westus-0"] }));
        Assert.Equal("leaveNodes", e.Setting);
        Assert.Contains("with westus-0 gone, regions: 2 region(s) given (eastus, centralus)", e.Message);
    }

    [Fact]
    public void NodesLeaveARegionFromItsHighestIndexDown()
    {
        var config = TestConfigs.Valid(TestConfigs.ThreeRegions, 2);
        var running = ClusterPlan.Build(config).NodeImages();
        var e = Assert.Throws<PlanException>(() => ClusterPlan.Build(config with { DeployedImages = running, LeaveNodes = ["eastus-0"] }));
        Assert.Equal("leaveNodes", e.Setting);
        Assert.Contains("name eastus-1 instead", e.Message);

        // A leave that leaves a region with half the nodes is refused, like the layout it leads to.
        var heavy = Assert.Throws<PlanException>(() => ClusterPlan.Build(config with { DeployedImages = running, LeaveNodes = ["westus-1", "centralus-1"] }));
        Assert.Contains("with westus-1, centralus-1 gone, nodesPerRegion: eastus holds 2 of 4 nodes", heavy.Message);
    }

    [Fact]
    public void NothingLeavesAClusterThatDoesNotRunYet()
    {
        var e = Assert.Throws<PlanException>(() => ClusterPlan.Build(TestConfigs.Valid(Four) with { LeaveNodes = ["eastus2-0"] }));
        Assert.Equal("leaveNodes", e.Setting);
        Assert.Contains("no node of this stack runs yet", e.Message);
    }

    [Fact]
    public void AnUpgradeDuringAMembershipChangeIsRefused()
    {
        var running = ClusterPlan.Build(TestConfigs.Valid()).NodeImages();
        var e = Assert.Throws<PlanException>(() => ClusterPlan.Build(TestConfigs.Valid(Four) with { DeployedImages = running, UpgradeNodes = ["westus-0"] }));
        Assert.Equal("upgradeNodes", e.Setting);
        Assert.Contains("names westus-0 while eastus2-0 join", e.Message);
        Assert.Contains("finish the membership change first", e.Message);
    }

    [Fact]
    public void GrowingPastSevenMembersIsRefused()
    {
        var seven = TestConfigs.Valid(Five) with { NodesByRegion = new Dictionary<string, int> { ["eastus"] = 2, ["westus"] = 2 } };
        var running = ClusterPlan.Build(seven).NodeImages();
        var e = Assert.Throws<PlanException>(() => ClusterPlan.Build(seven with { DeployedImages = running, NodesByRegion = new Dictionary<string, int> { ["eastus"] = 2, ["westus"] = 2, ["centralus"] = 2 } }));
        Assert.Contains("8 nodes in 5 regions: the service takes at most 7 members", e.Message);
    }

    [Fact]
    public void TheAdminTokenIsRequiredAndItsOwn()
    {
        Assert.Equal("adminToken", Assert.Throws<PlanException>(() => ClusterPlan.Build(TestConfigs.Valid() with { AdminToken = null })).Setting);
        var same = Assert.Throws<PlanException>(() => ClusterPlan.Build(TestConfigs.Valid() with { AdminToken = "token-0123456789abcdef" }));
        Assert.Contains("adminToken: equals apiToken", same.Message);

        var env = ClusterPlan.Build(TestConfigs.Valid()).Nodes.First().EnvFile;
        Assert.Contains("Ledger__ApiTokens__2__Token=admin-0123456789abcdef\nLedger__ApiTokens__2__Access=admin\n", env);
    }

    [Fact]
    public void TheStepsCarryNoSecretAndRunThePythonScript()
    {
        var member = MemberSteps.Member();
        var leave = MemberSteps.Leave("eastus2-0");
        Assert.Contains("cloud-init status --wait", member);
        Assert.Contains("exec python3 - member <<'GEOLEDGER_MEMBER_PY'\n" + Scripts.Member, member);
        Assert.Contains("exec python3 - leave eastus2-0 <<'GEOLEDGER_MEMBER_PY'\n", leave);
        Assert.DoesNotContain("cloud-init", leave);
        foreach (var secret in new[] { "token-0123456789abcdef", "reader-0123456789abcdef", "admin-0123456789abcdef", "secret-0123456789abcdef" })
            Assert.DoesNotContain(secret, member + leave);
        Assert.Throws<ArgumentException>(() => MemberSteps.Leave("x; rm -rf /"));
    }
}
