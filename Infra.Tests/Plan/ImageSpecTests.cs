using GeoLedger.Infra.Plan;

namespace GeoLedger.Infra.Tests.Plan;

public sealed class ImageSpecTests
{
    [Fact]
    [Trait("Item", "4")]
    public void Item04_TheTemplateIsNamedAfterItsWholeSpecification()
    {
        var baseline = ClusterPlan.Build(TestConfigs.Valid()).Image;
        Assert.Equal(baseline.SpecHash, ClusterPlan.Build(TestConfigs.Valid()).Image.SpecHash);
        Assert.StartsWith("gl-geoledger-" + baseline.SpecHash[..16], baseline.TemplateName);

        // Each input of the template alone gives a new template and a new version.
        var changes = new Dictionary<string, StackConfig>
        {
            ["service"] = TestConfigs.Valid() with { ImageContentHash = TestConfigs.ContentHashB },
            ["archive bytes"] = TestConfigs.Valid() with { ArchiveSha256 = TestConfigs.ArchiveShaB },
            ["a failed build"] = TestConfigs.Valid() with { ImageBuildAttempt = 2 },
            ["replication regions"] = TestConfigs.Valid() with { Regions = ["eastus", "westus", "northeurope"] },
            ["image location"] = TestConfigs.Valid() with { ImageLocation = "westus" },
            ["stack"] = TestConfigs.Valid() with { StackName = "prod" },
        };
        foreach (var (what, config) in changes)
        {
            var image = ClusterPlan.Build(config).Image;
            Assert.True(image.TemplateName != baseline.TemplateName, $"{what} kept the template name");
            Assert.True(image.CurrentVersion != baseline.CurrentVersion, $"{what} kept the version");
        }

        // Settings outside the template leave it alone.
        var unrelated = ClusterPlan.Build(TestConfigs.Valid() with { ApiToken = "other-token-0123456789", DataDiskSizeGb = 64 }).Image;
        Assert.Equal(baseline.TemplateName, unrelated.TemplateName);
    }

    [Fact]
    [Trait("Item", "17")]
    public void Item17_TheVersionIsDistributedToEveryClusterRegionAndTheImageLocation()
    {
        var image = ClusterPlan.Build(TestConfigs.Valid() with { ImageLocation = "northeurope" }).Image;
        Assert.Equal(["centralus", "eastus", "northeurope", "westus"], image.ReplicationRegions);
        Assert.Matches(@"^\d+\.\d+\.\d+$", image.CurrentVersion);
        Assert.EndsWith($"/galleries/{image.GalleryName}/images/geoledger-node/versions/{image.CurrentVersion}", image.VersionId(image.CurrentVersion));
    }
}
