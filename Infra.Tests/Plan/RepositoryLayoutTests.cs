using GeoLedger.Infra.Plan;
using YamlDotNet.RepresentationModel;

namespace GeoLedger.Infra.Tests.Plan;

/// <summary>What a new user meets before the first <c>pulumi up</c>: the project file, the root folder, the guide.</summary>
public sealed class RepositoryLayoutTests
{
    private static readonly string Root = PublishTests.RepositoryRoot();

    [Fact]
    [Trait("Item", "2")]
    public void Item02_TheGuideRegistersEveryResourceProviderTheStackNeeds()
    {
        var guide = File.ReadAllText(Path.Combine(Root, "docs", "deploy-azure.md"));
        var loop = guide.Split('\n').Single(l => l.TrimStart().StartsWith("for p in Microsoft.", StringComparison.Ordinal));
        var registered = loop.Split([' ', ';'], StringSplitOptions.RemoveEmptyEntries).Where(w => w.StartsWith("Microsoft.", StringComparison.Ordinal));
        Assert.Equal(ResourceProviders.Required, registered);
        Assert.Contains("Microsoft.ContainerInstance", ResourceProviders.Required);
        Assert.Contains("Microsoft.KeyVault", ResourceProviders.Required);
    }

    [Fact]
    [Trait("Item", "3")]
    public void Item03_InfraCsprojIsTheOnlyProjectOrSolutionAtTheRoot()
    {
        // Every pulumi-dotnet language host runs `dotnet build` and `dotnet list package` in the
        // program folder without naming a project (before v3.103.1, April 2026): one project there works for all.
        var projects = Directory.EnumerateFiles(Root)
            .Select(Path.GetFileName)
            .Where(f => f!.EndsWith("proj", StringComparison.Ordinal) || f.EndsWith(".sln", StringComparison.Ordinal) || f.EndsWith(".slnx", StringComparison.Ordinal))
            .ToList();
        Assert.Equal(["Infra.csproj"], projects);
        Assert.False(Project().Children.ContainsKey(new YamlScalarNode("main")), "Pulumi.yaml must not need main");
        Assert.Equal("dotnet", ((YamlScalarNode)((YamlMappingNode)Project()["runtime"])["name"]).Value);
    }

    [Fact]
    [Trait("Item", "22")]
    public void Item22_DefaultsLiveInPulumiYamlAndNoStackFileIsTracked()
    {
        Assert.Empty(Directory.EnumerateFiles(Root, "Pulumi.*.yaml"));
        var config = (YamlMappingNode)Project()["config"];
        string Default(string key) => ((YamlScalarNode)((YamlMappingNode)config[key])["default"]).Value!;
        var defaults = new StackConfig();

        Assert.Equal("eastus", ((YamlScalarNode)((YamlMappingNode)config["azure-native:location"])["value"]).Value);
        Assert.Equal(StackConfig.DefaultRegions, ((YamlSequenceNode)((YamlMappingNode)config["regions"])["default"]).Children.Select(c => ((YamlScalarNode)c).Value!));
        Assert.Equal("eastus", Default("imageLocation"));
        Assert.Equal(defaults.VmSize, Default("vmSize"));
        Assert.Equal(defaults.AdminUsername, Default("adminUsername"));
        Assert.Equal(defaults.DataDiskSizeGb.ToString(System.Globalization.CultureInfo.InvariantCulture), Default("dataDiskSizeGb"));
        Assert.Equal("acme", Default("tls"));
        // The defaults make a valid plan with only the values a user must set.
        var plan = ClusterPlan.Build(TestConfigs.Valid() with { ImageLocation = Default("imageLocation"), VmSize = Default("vmSize") });
        Assert.Equal(TlsMode.Acme, plan.TlsMode);
    }

    [Fact]
    [Trait("Item", "23")]
    public void Item23_TheGuideSaysWhereTheImageBuildLogIs()
    {
        var guide = File.ReadAllText(Path.Combine(Root, "docs", "deploy-azure.md"));
        Assert.Contains("## When the image build fails", guide);
        Assert.Contains("customization.log", guide);
        Assert.Contains("imageBuildAttempt", guide);
    }

    [Fact]
    [Trait("Item", "16")]
    public void Item16_TheGuideSaysHowToRotateSecrets()
    {
        var guide = File.ReadAllText(Path.Combine(Root, "docs", "deploy-azure.md"));
        Assert.Contains("## Rotating secrets", guide);
        foreach (var secret in new[] { "apiToken", "readToken", "clusterSecret" })
            Assert.Contains(secret, guide[guide.IndexOf("## Rotating secrets", StringComparison.Ordinal)..]);
    }

    private static YamlMappingNode Project()
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Combine(Root, "Pulumi.yaml"))));
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }
}
