using GeoLedger.Infra.Plan;

namespace GeoLedger.Infra.Tests.Plan;

public sealed class UpgradeTests
{
    [Fact]
    public void AFirstDeploymentPutsEveryNodeOnTheCurrentImage()
    {
        var plan = ClusterPlan.Build(TestConfigs.Valid());
        Assert.All(plan.Nodes, n => Assert.Equal(plan.Image.CurrentVersion, n.ImageVersion));
        Assert.All(plan.Nodes, n => Assert.Equal(plan.Image.VersionId(plan.Image.CurrentVersion), n.ImageVersionId));
        Assert.All(plan.Nodes, n => Assert.True(n.TakesCurrentImage));
    }

    [Fact]
    public void ANewPublishMovesOnlyTheUpgradeNodes()
    {
        var first = ClusterPlan.Build(TestConfigs.Valid());
        var second = ClusterPlan.Build(TestConfigs.Valid() with
        {
            ImageContentHash = TestConfigs.ContentHashB,
            ArchiveSha256 = TestConfigs.ArchiveShaB,
            DeployedImages = first.NodeImages(),
            UpgradeNodes = ["westus-0"],
        });

        Assert.NotEqual(first.Image.CurrentVersion, second.Image.CurrentVersion);
        foreach (var node in second.Nodes)
        {
            var expected = node.Id == "westus-0" ? second.Image.CurrentVersion : first.Image.CurrentVersion;
            Assert.Equal(expected, node.ImageVersion);
            Assert.Equal(second.Image.VersionId(expected), node.ImageVersionId);
        }

        Assert.NotEqual(first.Image.TemplateName, second.Image.TemplateName);
        Assert.NotEqual(first.Image.BlobName, second.Image.BlobName);
        // Everything else about the nodes stays: names, addresses, node configs; the upgraded node's
        // config adds "join": true (made after the founding, it never votes on an empty data disk).
        Assert.Equal(first.Nodes.Select(n => (n.Id, n.VmName, n.PrivateIp, n.NodeConfigJson)),
                     second.Nodes.Select(n => (n.Id, n.VmName, n.PrivateIp, n.Id == "westus-0" ? n.NodeConfigJson.Replace(",\n  \"join\": true", "", StringComparison.Ordinal) : n.NodeConfigJson)));
        Assert.Equal(["westus-0"], second.Nodes.Where(n => n.Join).Select(n => n.Id));
    }

    [Fact]
    [Trait("Item", "11")]
    public void Item11_UpgradeNodesMayNameAMinorityOnly()
    {
        var first = ClusterPlan.Build(TestConfigs.Valid());
        var next = TestConfigs.Valid() with { ImageContentHash = TestConfigs.ContentHashB, DeployedImages = first.NodeImages() };

        Assert.Single(ClusterPlan.Build(next with { UpgradeNodes = ["eastus-0"] }).Nodes, n => n.TakesCurrentImage);
        var e = Assert.Throws<PlanException>(() => ClusterPlan.Build(next with { UpgradeNodes = ["eastus-0", "westus-0"] }));
        Assert.Equal("upgradeNodes", e.Setting);
        Assert.Contains("names 2 of 3 nodes", e.Message);
        Assert.Contains("at most 1", e.Message);
    }

    [Fact]
    public void ANodeOnAnUnknownImageMustBeNamedForUpgrade()
    {
        var deployed = ClusterPlan.Build(TestConfigs.Valid()).NodeImages().ToDictionary();
        deployed["centralus-0"] = "/subscriptions/x/providers/Microsoft.Compute/images/hand-made";
        var e = Assert.Throws<PlanException>(() => ClusterPlan.Build(TestConfigs.Valid() with { DeployedImages = deployed }));
        Assert.Equal("upgradeNodes", e.Setting);
        Assert.Contains("centralus-0", e.Message);

        var moved = ClusterPlan.Build(TestConfigs.Valid() with { DeployedImages = deployed, UpgradeNodes = ["centralus-0"] });
        Assert.True(moved.Nodes.Single(n => n.Id == "centralus-0").TakesCurrentImage);
    }

    [Fact]
    public void VersionsAreThreeSixteenBitNumbersFromTheSpecificationHash()
    {
        Assert.Equal("16297.49618.58549", ContentHash.ImageVersion(TestConfigs.ContentHashA));
        var plan = ClusterPlan.Build(TestConfigs.Valid());
        Assert.Equal(ContentHash.ImageVersion(plan.Image.SpecHash), plan.Image.CurrentVersion);
        Assert.Equal(
            $"/subscriptions/00000000-1111-2222-3333-444444444444/resourceGroups/gl-dev-image/providers/Microsoft.Compute/galleries/{plan.Image.GalleryName}/images/geoledger-node/versions/{plan.Image.CurrentVersion}",
            plan.Image.VersionId(plan.Image.CurrentVersion));
    }
}
