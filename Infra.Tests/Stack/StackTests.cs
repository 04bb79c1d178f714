using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using GeoLedger.Infra.Plan;
using GeoLedger.Infra.Stack;
using Pulumi;
using Pulumi.Testing;

namespace GeoLedger.Infra.Tests.Stack;

/// <summary>The stack under Pulumi's mock engine (strict Moq mocks): resources, wiring, secrets, upgrades.</summary>
public sealed class StackTests : IDisposable
{
    private static readonly string[] Regions = ["eastus", "westus", "centralus"];
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("geoledger-stack-");

    public void Dispose() => _temp.Delete(recursive: true);

    [Fact]
    public async Task ThreeRegionsGetTheirResources()
    {
        var (mocks, _) = await Run();
        var counts = mocks.Resources.GroupBy(r => r.Type).ToDictionary(g => g.Key, g => g.Count());

        var expected = new Dictionary<string, int>
        {
            ["pulumi:pulumi:StackReference"] = 1,
            ["geoledger:infra:ImageBuild"] = 1,
            ["azure-native:resources:ResourceGroup"] = 1 + 3,
            ["azure-native:managedidentity:UserAssignedIdentity"] = 1,
            ["azure-native:storage:StorageAccount"] = 1,
            ["azure-native:storage:BlobContainer"] = 1,
            ["azure-native:storage:Blob"] = 1,
            ["azure-native:authorization:RoleAssignment"] = 3,
            ["azure-native:compute:Gallery"] = 1,
            ["azure-native:compute:GalleryImage"] = 1,
            ["azure-native:virtualmachineimages:VirtualMachineImageTemplate"] = 1,
            ["azure-native:compute:GalleryImageVersion"] = 1,
            ["geoledger:infra:RegionCluster"] = 3,
            ["azure-native:network:NetworkSecurityGroup"] = 3,
            ["azure-native:network:VirtualNetwork"] = 3,
            ["azure-native:network:Subnet"] = 3,
            ["azure-native:network:PublicIPAddress"] = 3,
            ["azure-native:network:NetworkInterface"] = 3,
            ["azure-native:compute:Disk"] = 3,
            ["azure-native:compute:VirtualMachine"] = 3,
            ["azure-native:network:VirtualNetworkPeering"] = 6,
        };
        Assert.Equal(expected.OrderBy(kv => kv.Key), counts.OrderBy(kv => kv.Key));

        // Per region: everything in that region's location.
        foreach (var region in Regions)
        {
            var inRegion = mocks.Resources.Where(r => r.Inputs.TryGetValue("location", out var l) && (string)l == region).ToList();
            foreach (var type in new[] { "ResourceGroup", "NetworkSecurityGroup", "VirtualNetwork", "PublicIPAddress", "NetworkInterface", "Disk", "VirtualMachine" })
                Assert.Single(inRegion, r => r.Type.EndsWith(":" + type, StringComparison.Ordinal) && !r.Name.StartsWith("image", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task EveryVmRunsInItsRegionWithTheGalleryImageAndThePlansCloudInit()
    {
        var (mocks, result) = await Run(nodesPerRegion: 2);
        var plan = MakePlan(ContentHash.Of(PublishDir("a")), nodesPerRegion: 2);
        var version = Assert.Single(mocks.OfType("azure-native:compute:GalleryImageVersion"));

        var vms = mocks.OfType("azure-native:compute:VirtualMachine").ToList();
        Assert.Equal(6, vms.Count);
        foreach (var node in plan.Nodes)
        {
            var vm = Assert.Single(vms, v => (string)v.Inputs["vmName"] == node.VmName);
            Assert.Equal(node.Region, (string)vm.Inputs["location"]);
            Assert.Equal(version.Id, Input(vm.Inputs, "storageProfile", "imageReference", "id"));
            var customData = Input(vm.Inputs, "osProfile", "customData");
            Assert.Equal(node.CloudInit, Encoding.UTF8.GetString(Convert.FromBase64String(customData)));
            Assert.Equal("true", Input(vm.Inputs, "osProfile", "linuxConfiguration", "disablePasswordAuthentication").ToLowerInvariant());
        }

        var clusters = result.Resources.OfType<RegionCluster>().ToList();
        Assert.Equal(3, clusters.Count);
        foreach (var (id, data) in clusters.SelectMany(c => c.CustomData))
        {
            Assert.True(await Output.IsSecretAsync(data), $"custom data of {id} must be secret");
            Assert.Equal(plan.Nodes.Single(n => n.Id == id).CloudInit, Encoding.UTF8.GetString(Convert.FromBase64String(await Value(data))));
        }
    }

    [Fact]
    public async Task PeeringsFormAFullMeshBothWays()
    {
        var (mocks, _) = await Run();
        var vnetIds = mocks.OfType("azure-native:network:VirtualNetwork").ToDictionary(v => v.Id, v => (string)v.Inputs["location"]);
        var vnetNames = mocks.OfType("azure-native:network:VirtualNetwork").ToDictionary(v => (string)v.Inputs["virtualNetworkName"], v => (string)v.Inputs["location"]);
        var pairs = mocks.OfType("azure-native:network:VirtualNetworkPeering")
            .Select(p => (From: vnetNames[(string)p.Inputs["virtualNetworkName"]], To: vnetIds[Input(p.Inputs, "remoteVirtualNetwork", "id")], Access: (bool)p.Inputs["allowVirtualNetworkAccess"]))
            .ToList();

        Assert.Equal(6, pairs.Distinct().Count());
        Assert.All(pairs, p => Assert.True(p.Access));
        foreach (var a in Regions)
        {
            foreach (var b in Regions.Where(r => r != a))
                Assert.Single(pairs, p => p.From == a && p.To == b);
        }
    }

    [Fact]
    public async Task TheGalleryVersionReplicatesToEveryRegion()
    {
        var (mocks, _) = await Run();
        var version = Assert.Single(mocks.OfType("azure-native:compute:GalleryImageVersion"));
        var targets = ((ImmutableArray<object>)((ImmutableDictionary<string, object>)version.Inputs["publishingProfile"])["targetRegions"])
            .Cast<ImmutableDictionary<string, object>>().Select(t => (string)t["name"]).Order().ToList();
        Assert.Equal(Regions.Order(), targets);
        Assert.Equal(ContentHash.ImageVersion(ContentHash.Of(PublishDir("a"))), (string)version.Inputs["galleryImageVersionName"]);
    }

    [Fact]
    public async Task DuringAnUpdateTheVersionWaitsForTheBuildAndTakesItsManagedImage()
    {
        var (mocks, _) = await Run(preview: false);
        var plan = MakePlan(ContentHash.Of(PublishDir("a")));
        var version = Assert.Single(mocks.OfType("azure-native:compute:GalleryImageVersion"));

        Assert.Contains("azure-native:virtualmachineimages:getVirtualMachineImageTemplate", mocks.Calls);
        Assert.Equal(plan.Image.ManagedImageId(plan.Image.CurrentVersion), Input(version.Inputs, "storageProfile", "source", "id"));
        var template = Assert.Single(mocks.OfType("azure-native:virtualmachineimages:VirtualMachineImageTemplate"));
        Assert.Equal(plan.Image.TemplateName, (string)template.Inputs["imageTemplateName"]);
        Assert.Equal("Enabled", Input(template.Inputs, "autoRun", "state"));
    }

    [Fact]
    public async Task AFailedBuildFailsTheDeploymentWithItsOwnMessage()
    {
        var e = await Assert.ThrowsAnyAsync<Exception>(() => Run(preview: false, runState: "Failed", runMessage: "customizer step 1 exited with 2"));
        Assert.Contains("customizer step 1 exited with 2", e.ToString());
    }

    [Fact]
    public async Task ANewHashChangesTheImageOfTheUpgradeNodesOnly()
    {
        var (first, firstResult) = await Run();
        var deployed = (IReadOnlyDictionary<string, string>)firstResult.Outputs["nodeImages"]!;
        var (second, _) = await Run(publish: "b", deployed: deployed, upgradeNodes: ["westus-0"]);

        static Dictionary<string, string> Images(StackMocks m) => m.OfType("azure-native:compute:VirtualMachine")
            .ToDictionary(v => (string)v.Inputs["vmName"], v => Input(v.Inputs, "storageProfile", "imageReference", "id"));
        var before = Images(first);
        var after = Images(second);

        Assert.Equal(2, second.OfType("azure-native:compute:GalleryImageVersion").Count());
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var vm in before.Keys)
        {
            if (vm == "gl-vm-westus-0")
                Assert.NotEqual(before[vm], after[vm]);
            else
                Assert.Equal(before[vm], after[vm]);
        }
    }

    [Fact]
    public async Task OutputsHoldTheUrlsAndSecretCurlLines()
    {
        var (_, result) = await Run();
        var plan = MakePlan(ContentHash.Of(PublishDir("a")));
        var urls = (IReadOnlyDictionary<string, string>)result.Outputs["nodeUrls"]!;

        Assert.Equal(plan.Nodes.ToDictionary(n => n.Id, n => n.PublicUrl.AbsoluteUri), urls);
        var write = (Output<string>)result.Outputs["curlWrite"]!;
        Assert.True(await Output.IsSecretAsync(write));
        Assert.Contains("Bearer token-0123456789abcdef", await Value(write));
        Assert.Contains("--location-trusted", await Value(write));
        Assert.DoesNotContain("token-0123456789abcdef", (string)result.Outputs["curlRead"]!);
    }

    [Fact]
    public async Task AnInvalidConfigFailsNamingTheSetting()
    {
        var e = await Assert.ThrowsAnyAsync<Exception>(() => Run(extraConfig: new() { ["geoledger:regions"] = """["eastus","westus"]""" }));
        Assert.Contains("geoledger:regions", e.ToString());
    }

    private async Task<(StackMocks Mocks, (ImmutableArray<Resource> Resources, IDictionary<string, object?> Outputs) Result)> Run(
        int nodesPerRegion = 1, bool preview = true, string runState = "Succeeded", string runMessage = "", string publish = "a",
        IReadOnlyDictionary<string, string>? deployed = null, string[]? upgradeNodes = null, Dictionary<string, string>? extraConfig = null)
    {
        var config = new Dictionary<string, string>
        {
            ["geoledger:regions"] = JsonSerializer.Serialize(Regions),
            ["geoledger:nodesPerRegion"] = nodesPerRegion.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["geoledger:sshPublicKey"] = Tests.Plan.TestConfigs.SshKey,
            ["geoledger:clientCidrs"] = """["203.0.113.0/24"]""",
            ["geoledger:apiToken"] = "token-0123456789abcdef",
            ["geoledger:clusterSecret"] = "secret-0123456789abcdef",
            ["geoledger:publishDir"] = PublishDir(publish),
            ["geoledger:upgradeNodes"] = JsonSerializer.Serialize(upgradeNodes ?? []),
        };
        foreach (var (k, v) in extraConfig ?? [])
            config[k] = v;
        Environment.SetEnvironmentVariable("PULUMI_CONFIG", JsonSerializer.Serialize(config));
        Environment.SetEnvironmentVariable("PULUMI_CONFIG_SECRET_KEYS", """["geoledger:apiToken","geoledger:clusterSecret"]""");

        var mocks = new StackMocks(deployed, runState, runMessage);
        var result = await Deployment.TestAsync(
            mocks.Mock.Object,
            new TestOptions { IsPreview = preview, StackName = "dev", ProjectName = "geoledger" },
            GeoLedgerStack.RunAsync);
        return (mocks, result);
    }

    private ClusterPlan MakePlan(string contentHash, int nodesPerRegion = 1) =>
        ClusterPlan.Build(Tests.Plan.TestConfigs.Valid(Regions, nodesPerRegion) with
        {
            ClientCidrs = ["203.0.113.0/24"],
            SubscriptionId = StackMocks.SubscriptionId,
            StackName = "dev",
            ImageContentHash = contentHash,
        });

    /// <summary>A tiny stand-in for Infra/publish.sh's output: a folder and its archive.</summary>
    private string PublishDir(string variant)
    {
        var dir = System.IO.Path.Combine(_temp.FullName, variant, "linux-x64");
        if (!Directory.Exists(dir))
        {
            Directory.CreateDirectory(dir);
            File.WriteAllText(System.IO.Path.Combine(dir, "GeoLedger.dll"), "service build " + variant);
            File.WriteAllText(dir + ".tar.gz", "archive " + variant);
        }

        return dir;
    }

    private static string Input(ImmutableDictionary<string, object> inputs, params string[] path)
    {
        object value = inputs;
        foreach (var key in path)
            value = ((ImmutableDictionary<string, object>)value)[key];
        return value is bool b ? b.ToString() : (string)value;
    }

    private static Task<T> Value<T>(Output<T> output)
    {
        var value = new TaskCompletionSource<T>();
        output.Apply(v =>
        {
            value.TrySetResult(v);
            return v;
        });
        return value.Task;
    }
}
