using GeoLedger.Infra.Plan;

namespace GeoLedger.Infra.Tests.Plan;

public sealed class UpgradeTests
{
    [Fact]
    public void AFirstDeploymentPutsEveryNodeOnTheCurrentImage()
    {
        var plan = ClusterPlan.Build(TestConfigs.Valid());
        Assert.All(plan.Nodes, n => Assert.Equal(plan.Image.CurrentVersion, n.ImageVersion));
        Assert.All(plan.Nodes, n => Assert.True(n.TakesCurrentImage));
        Assert.Empty(plan.Image.RetainedVersions);
    }

    [Fact]
    public void ANewHashMovesOnlyTheUpgradeNodes()
    {
        var first = ClusterPlan.Build(TestConfigs.Valid(nodesPerRegion: 2));
        var second = ClusterPlan.Build(TestConfigs.Valid(nodesPerRegion: 2) with
        {
            ImageContentHash = TestConfigs.ContentHashB,
            DeployedImages = first.NodeImages(),
            UpgradeNodes = ["westus-1"],
        });

        Assert.NotEqual(first.Image.CurrentVersion, second.Image.CurrentVersion);
        foreach (var node in second.Nodes)
        {
            var expected = node.Id == "westus-1" ? second.Image.CurrentVersion : first.Image.CurrentVersion;
            Assert.Equal(expected, node.ImageVersion);
        }

        Assert.Equal([first.Image.CurrentVersion], second.Image.RetainedVersions);
        Assert.NotEqual(first.Image.TemplateName, second.Image.TemplateName);
        Assert.NotEqual(first.Image.BlobName, second.Image.BlobName);
        // Everything else about the nodes stays: names, addresses, node configs.
        Assert.Equal(first.Nodes.Select(n => (n.Id, n.VmName, n.PrivateIp, n.NodeConfigJson)),
                     second.Nodes.Select(n => (n.Id, n.VmName, n.PrivateIp, n.NodeConfigJson)));
    }

    [Fact]
    public void AnOldVersionIsDroppedOnceNoNodeRunsIt()
    {
        var first = ClusterPlan.Build(TestConfigs.Valid());
        var all = first.Nodes.Select(n => n.Id).ToList();
        var second = ClusterPlan.Build(TestConfigs.Valid() with
        {
            ImageContentHash = TestConfigs.ContentHashB,
            DeployedImages = first.NodeImages(),
            UpgradeNodes = all,
        });

        Assert.Empty(second.Image.RetainedVersions);
        Assert.All(second.Nodes, n => Assert.Equal(second.Image.CurrentVersion, n.ImageVersion));
    }

    [Fact]
    public void VersionsAreThreeSixteenBitNumbersFromTheHash()
    {
        Assert.Equal("16297.49618.58549", ContentHash.ImageVersion(TestConfigs.ContentHashA));
        var plan = ClusterPlan.Build(TestConfigs.Valid());
        Assert.Equal("16297.49618.58549", plan.Image.CurrentVersion);
        Assert.Equal(
            $"/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/gl-dev-image/providers/Microsoft.Compute/images/geoledger-16297-49618-58549",
            plan.Image.ManagedImageId(plan.Image.CurrentVersion));
    }
}
