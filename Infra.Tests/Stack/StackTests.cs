using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using GeoLedger.Infra.Plan;
using GeoLedger.Infra.Publish;
using GeoLedger.Infra.Stack;
using Pulumi;
using Pulumi.Testing;

namespace GeoLedger.Infra.Tests.Stack;

/// <summary>The stack under Pulumi's mock engine (strict Moq mocks): resources, wiring, secrets, upgrades.</summary>
public sealed class StackTests : IDisposable
{
    private static readonly string[] Regions = ["eastus", "westus", "centralus"];
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("geoledger-stack-");
    private int _publishes;

    public void Dispose() => _temp.Delete(recursive: true);

    [Fact]
    public async Task ThreeRegionsGetTheirResources()
    {
        var (mocks, _) = await Run();
        var counts = mocks.Resources.GroupBy(r => r.Type).ToDictionary(g => g.Key, g => g.Count());

        var expected = new Dictionary<string, int>
        {
            ["geoledger:infra:ImageBuild"] = 1,
            ["azure-native:resources:ResourceGroup"] = 1 + 3,
            ["azure-native:managedidentity:UserAssignedIdentity"] = 2,
            ["azure-native:storage:StorageAccount"] = 1,
            ["azure-native:storage:BlobContainer"] = 1,
            ["azure-native:storage:Blob"] = 1,
            ["azure-native:authorization:RoleDefinition"] = 1,
            ["azure-native:authorization:RoleAssignment"] = 3,
            ["azure-native:compute:Gallery"] = 1,
            ["azure-native:compute:GalleryImage"] = 1,
            ["azure-native:virtualmachineimages:VirtualMachineImageTemplate"] = 1,
            ["geoledger:infra:RegionCluster"] = 3,
            ["azure-native:network:NetworkSecurityGroup"] = 3,
            ["azure-native:network:VirtualNetwork"] = 3,
            ["azure-native:network:Subnet"] = 3,
            ["azure-native:network:PublicIPAddress"] = 3,
            ["azure-native:network:NetworkInterface"] = 3,
            ["azure-native:compute:Disk"] = 3,
            ["azure-native:compute:VirtualMachine"] = 3,
            ["azure-native:compute:VirtualMachineRunCommandByVirtualMachine"] = 3,
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
        var (mocks, result) = await Run();
        var plan = MakePlan("a");

        var vms = mocks.OfType("azure-native:compute:VirtualMachine").ToList();
        Assert.Equal(3, vms.Count);
        foreach (var node in plan.Nodes)
        {
            var vm = Assert.Single(vms, v => (string)v.Inputs["vmName"] == node.VmName);
            Assert.Equal(node.Region, (string)vm.Inputs["location"]);
            Assert.Equal(plan.Image.VersionId(plan.Image.CurrentVersion), Input(vm.Inputs, "storageProfile", "imageReference", "id"));
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
    public async Task EachNsgLetsTheClusterReachTheRaftPortOverTcpAndUdp()
    {
        var (mocks, _) = await Run();
        foreach (var nsg in mocks.OfType("azure-native:network:NetworkSecurityGroup"))
        {
            var raft = ((ImmutableArray<object>)nsg.Inputs["securityRules"]).Cast<ImmutableDictionary<string, object>>()
                .Where(r => Input(r, "destinationPortRange") == ClusterPlan.RaftPort.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Select(r => (Protocol: Input(r, "protocol"), Access: Input(r, "access"), Sources: ((ImmutableArray<object>)r["sourceAddressPrefixes"]).Cast<string>().Order().ToList()))
                .OrderBy(r => r.Protocol, StringComparer.Ordinal)
                .ToList();
            Assert.Equal(["Tcp", "Udp"], raft.Select(r => r.Protocol));
            Assert.All(raft, r => Assert.Equal("Allow", r.Access));
            Assert.Equal(raft[0].Sources, raft[1].Sources); // the cluster's VNets, for both
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
    public async Task DuringAnUpdateTheVmsWaitForTheBuild()
    {
        var (mocks, _) = await Run(preview: false);
        Assert.Contains("azure-native:virtualmachineimages:getVirtualMachineImageTemplate", mocks.Calls);
        var template = Assert.Single(mocks.OfType("azure-native:virtualmachineimages:VirtualMachineImageTemplate"));
        Assert.Equal(MakePlan("a").Image.TemplateName, (string)template.Inputs["imageTemplateName"]);
        Assert.Equal("Enabled", Input(template.Inputs, "autoRun", "state"));
    }

    [Fact]
    [Trait("Item", "4")]
    public async Task Item04_AFailedBuildFailsTheDeploymentWithItsMessageAndTheWayOut()
    {
        var e = await Assert.ThrowsAnyAsync<Exception>(() => Run(preview: false, runState: "Failed", runMessage: "customizer step 1 exited with 2"));
        Assert.Contains("customizer step 1 exited with 2", e.ToString());
        Assert.Contains("pulumi config set geoledger:imageBuildAttempt 2 && pulumi up", e.ToString());
        Assert.Contains("customization.log", e.ToString());
    }

    [Fact]
    [Trait("Item", "4")]
    public void Item04_TheTemplateIsReplacedOnAnyChangeOldOneFirst()
    {
        var options = ImageBuild.TemplateOptions(null, []);
        Assert.Equal(["*"], options.ReplaceOnChanges);
        Assert.True(options.DeleteBeforeReplace);
    }

    [Fact]
    [Trait("Item", "6")]
    public async Task Item06_EachNodeKeepsTheImageItsVmReallyRuns()
    {
        var (first, _) = await Run();
        var firstPlan = MakePlan("a");
        Assert.Equal(3, first.VmReads.Count);

        // Azure reports the VMs on the first image (ids in Azure's own casing); a new publish moves only westus-0.
        var running = firstPlan.Nodes.ToDictionary(n => n.VmName, n => n.ImageVersionId.Replace("/resourceGroups/", "/resourcegroups/", StringComparison.Ordinal));
        var (second, _) = await Run(publish: "b", vmImages: running, upgradeNodes: ["westus-0"]);
        var secondPlan = MakePlan("b");

        foreach (var vm in second.OfType("azure-native:compute:VirtualMachine"))
        {
            var name = (string)vm.Inputs["vmName"];
            var expected = name == "gl-vm-westus-0" ? secondPlan.Image.VersionId(secondPlan.Image.CurrentVersion) : firstPlan.Nodes.Single(n => n.VmName == name).ImageVersionId;
            Assert.Equal(expected, Input(vm.Inputs, "storageProfile", "imageReference", "id"));
        }

        // A node whose VM is gone (a failed earlier update) is new: it takes the current image.
        running.Remove("gl-vm-centralus-0");
        var (third, thirdResult) = await Run(publish: "b", vmImages: running);
        var images = (IReadOnlyDictionary<string, string>)thirdResult.Outputs["nodeImages"]!;
        Assert.Equal(secondPlan.Image.CurrentVersion, images["centralus-0"]);
        Assert.Equal(firstPlan.Image.CurrentVersion, images["eastus-0"]);
        Assert.Equal(firstPlan.Image.CurrentVersion, images["westus-0"]);
        Assert.Equal(3, third.VmReads.Count);
    }

    [Fact]
    [Trait("Item", "6")]
    public async Task Item06_AVmThatCannotBeReadStopsTheUpdate()
    {
        var e = await Assert.ThrowsAnyAsync<Exception>(() => Run(vmReadError: "AuthorizationFailed: no read access (403)"));
        Assert.Contains("AuthorizationFailed", e.ToString());
    }

    [Fact]
    [Trait("Item", "7")]
    public async Task Item07_EveryRunPublishesTheServiceFirst()
    {
        await Run(preview: true);
        Assert.Equal(1, _publishes);
        var (mocks, _) = await Run(preview: false);
        Assert.Equal(2, _publishes);

        var blob = Assert.Single(mocks.OfType("azure-native:storage:Blob"));
        var source = Assert.IsType<FileAsset>(blob.Inputs["source"]);
        var path = typeof(AssetOrArchive).GetProperty("Value", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(source);
        Assert.Equal(Path.Combine(_temp.FullName, "a", "linux-x64.tar.gz"), path);
        var template = Assert.Single(mocks.OfType("azure-native:virtualmachineimages:VirtualMachineImageTemplate"));
        var script = Encoding.UTF8.GetString(Convert.FromBase64String(((string)((ImmutableArray<object>)((ImmutableDictionary<string, object>)((ImmutableArray<object>)template.Inputs["customize"])[0])["inline"])[0]).Split('\'')[1]));
        Assert.Contains(Sha256(Path.Combine(_temp.FullName, "a", "linux-x64.tar.gz")) + "  /tmp/geoledger.tar.gz", script);
    }

    [Fact]
    [Trait("Item", "13")]
    public async Task Item13_OutputsHoldTheUrlsAndSecretCurlLinesWithTheirTokens()
    {
        var (_, result) = await Run();
        var plan = MakePlan("a");
        var urls = (IReadOnlyDictionary<string, string>)result.Outputs["nodeUrls"]!;

        Assert.Equal(plan.Nodes.ToDictionary(n => n.Id, n => n.PublicUrl.AbsoluteUri), urls);
        var write = (Output<string>)result.Outputs["curlWrite"]!;
        Assert.True(await Output.IsSecretAsync(write));
        Assert.Contains("Bearer token-0123456789abcdef", await Value(write));
        Assert.Contains("--location-trusted", await Value(write));
        foreach (var name in new[] { "curlRead", "curlCluster", "curlArticleRead" })
        {
            var read = (Output<string>)result.Outputs[name]!;
            Assert.True(await Output.IsSecretAsync(read), name);
            Assert.Contains("Bearer reader-0123456789abcdef", await Value(read));
            Assert.DoesNotContain("token-0123456789abcdef", await Value(read));
        }
    }

    [Fact]
    [Trait("Item", "14")]
    public async Task Item14_EachIdentityHoldsOnlyWhatItsJobNeeds()
    {
        var (mocks, _) = await Run();
        var plan = MakePlan("a").Image;
        var identities = mocks.OfType("azure-native:managedidentity:UserAssignedIdentity").ToDictionary(i => (string)i.Inputs["resourceName"]);
        var builder = identities[plan.BuilderIdentityName];
        var buildVm = identities[plan.BuildVmIdentityName];
        var role = Assert.Single(mocks.OfType("azure-native:authorization:RoleDefinition"));
        var group = mocks.OfType("azure-native:resources:ResourceGroup").Single(g => (string)g.Inputs["resourceGroupName"] == plan.ResourceGroupName);
        var account = Assert.Single(mocks.OfType("azure-native:storage:StorageAccount"));

        var actions = ((ImmutableArray<object>)((ImmutableDictionary<string, object>)((ImmutableArray<object>)role.Inputs["permissions"])[0])["actions"]).Cast<string>();
        Assert.Equal(ImageRoles.BuilderActions, actions);
        Assert.Equal([group.Id], ((ImmutableArray<object>)role.Inputs["assignableScopes"]).Cast<string>());

        var assignments = mocks.OfType("azure-native:authorization:RoleAssignment")
            .Select(a => (Principal: (string)a.Inputs["principalId"], Role: (string)a.Inputs["roleDefinitionId"], Scope: (string)a.Inputs["scope"]))
            .OrderBy(a => a.Role).ToList();
        Assert.Equal(
            new[]
            {
                ("principal-of-" + plan.BuilderIdentityName, role.Id, group.Id),
                ("principal-of-" + plan.BuilderIdentityName, ImageRoles.BuiltIn(StackMocks.SubscriptionId, ImageRoles.ManagedIdentityOperator), buildVm.Id),
                ("principal-of-" + plan.BuildVmIdentityName, ImageRoles.BuiltIn(StackMocks.SubscriptionId, ImageRoles.StorageBlobDataReader), $"{account.Id}/blobServices/default/containers/{plan.ContainerName}"),
            }.OrderBy(a => a.Item2),
            assignments);
        Assert.DoesNotContain(assignments, a => a.Role.EndsWith("b24988ac-6180-42a0-ab88-20f7382dd24c", StringComparison.Ordinal)); // Contributor

        var template = Assert.Single(mocks.OfType("azure-native:virtualmachineimages:VirtualMachineImageTemplate"));
        Assert.Equal([builder.Id], ((ImmutableArray<object>)((ImmutableDictionary<string, object>)template.Inputs["identity"])["userAssignedIdentities"]).Cast<string>());
        Assert.Equal([buildVm.Id], ((ImmutableArray<object>)((ImmutableDictionary<string, object>)template.Inputs["vmProfile"])["userAssignedIdentities"]).Cast<string>());
    }

    [Fact]
    [Trait("Item", "16")]
    public void Item16_NewSecretsAndImagesReachOnlyTheNodesBeingUpgraded()
    {
        var first = MakePlan("a");
        var plan = ClusterPlan.Build(first.Config with { ApiToken = "rotated-0123456789abcdef", DeployedImages = first.NodeImages(), UpgradeNodes = ["eastus-0"] });
        foreach (var node in plan.Nodes)
        {
            var options = RegionCluster.VmOptions(null, node);
            Assert.True(options.DeleteBeforeReplace);
            Assert.Equal(["storageProfile.imageReference", "osProfile.customData"], options.ReplaceOnChanges);
            Assert.Equal(node.Id == "eastus-0" ? [] : ["osProfile.customData", "securityProfile"], options.IgnoreChanges);
        }
    }

    [Fact]
    [Trait("Item", "17")]
    public async Task Item17_VmsAreTrustedLaunchFromATrustedLaunchImageDistributedStraightToTheGallery()
    {
        var (mocks, _) = await Run();
        var plan = MakePlan("a").Image;
        var definition = Assert.Single(mocks.OfType("azure-native:compute:GalleryImage"));
        Assert.Equal("V2", (string)definition.Inputs["hyperVGeneration"]);
        var feature = (ImmutableDictionary<string, object>)Assert.Single((ImmutableArray<object>)definition.Inputs["features"]);
        Assert.Equal(("SecurityType", "TrustedLaunchSupported"), ((string)feature["name"], (string)feature["value"]));

        var template = Assert.Single(mocks.OfType("azure-native:virtualmachineimages:VirtualMachineImageTemplate"));
        var distribute = (ImmutableDictionary<string, object>)Assert.Single((ImmutableArray<object>)template.Inputs["distribute"]);
        Assert.Equal("SharedImage", (string)distribute["type"]);
        Assert.Equal($"{definition.Id}/versions/{plan.CurrentVersion}", (string)distribute["galleryImageId"]);
        Assert.Equal(plan.ReplicationRegions, ((ImmutableArray<object>)distribute["targetRegions"]).Cast<ImmutableDictionary<string, object>>().Select(t => (string)t["name"]));

        foreach (var vm in mocks.OfType("azure-native:compute:VirtualMachine"))
        {
            Assert.Equal("TrustedLaunch", Input(vm.Inputs, "securityProfile", "securityType"));
            Assert.Equal("True", Input(vm.Inputs, "securityProfile", "uefiSettings", "secureBootEnabled"));
            Assert.Equal("True", Input(vm.Inputs, "securityProfile", "uefiSettings", "vTpmEnabled"));
        }
    }

    [Fact]
    [Trait("Item", "23")]
    public async Task Item23_VmsHaveBootDiagnostics()
    {
        var (mocks, _) = await Run();
        Assert.All(mocks.OfType("azure-native:compute:VirtualMachine"),
            vm => Assert.Equal("True", Input(vm.Inputs, "diagnosticsProfile", "bootDiagnostics", "enabled")));
    }

    [Fact]
    [Trait("Issue", "14")]
    public async Task Issue14_EveryVmRunsItsMemberStepAndAFailedStepFailsTheUpdate()
    {
        var (mocks, _) = await Run();
        var steps = mocks.OfType("azure-native:compute:VirtualMachineRunCommandByVirtualMachine").ToList();
        Assert.Equal(MakePlan("a").Nodes.Select(n => n.VmName).Order(), steps.Select(s => (string)s.Inputs["vmName"]).Order());
        foreach (var step in steps)
        {
            Assert.Equal("geoledger-member", (string)step.Inputs["runCommandName"]);
            Assert.Equal(MemberSteps.Member(), Input(step.Inputs, "source", "script"));
            Assert.True((bool)step.Inputs["treatFailureAsDeploymentFailure"]);
            Assert.False((bool)step.Inputs["asyncExecution"]);
            Assert.DoesNotContain("admin-0123456789abcdef", Canonical(step.Inputs));
        }
    }

    [Fact]
    [Trait("Issue", "14")]
    public async Task Issue14_AddingARegionChangesNoInputOfARunningNode()
    {
        var (first, _) = await Run();
        var running = MakePlan("a").Nodes.ToDictionary(n => n.VmName, n => n.ImageVersionId);
        var (second, _) = await Run(vmImages: running, extraConfig: new() { ["geoledger:regions"] = """["eastus","westus","centralus","eastus2"]""" });

        // Every resource of a running node (VM, NIC, public IP, disk, member step): the same inputs.
        var types = new[] { "VirtualMachine", "NetworkInterface", "PublicIPAddress", "Disk", "VirtualMachineRunCommandByVirtualMachine" };
        var before = first.Resources.Where(r => types.Any(t => r.Type.EndsWith(":" + t, StringComparison.Ordinal))).ToList();
        Assert.Equal(15, before.Count);
        foreach (var resource in before)
        {
            var now = Assert.Single(second.Resources, r => r.Type == resource.Type && r.Name == resource.Name);
            Assert.Equal(Canonical(resource.Inputs), Canonical(now.Inputs));
        }

        // Custom data may change with a later member list; Pulumi ignores it on running VMs.
        var plan = ClusterPlan.Build(MakePlan("a").Config with { Regions = ["eastus", "westus", "centralus", "eastus2"], DeployedImages = MakePlan("a").NodeImages() });
        foreach (var node in plan.Nodes.Where(n => n.Id != "eastus2-0"))
            Assert.Contains("osProfile.customData", RegionCluster.VmOptions(null, node).IgnoreChanges);

        // The new node: its VM boots with the member list plus itself and the join flag, then runs its member step.
        var vm = Assert.Single(second.OfType("azure-native:compute:VirtualMachine"), v => (string)v.Inputs["vmName"] == "gl-vm-eastus2-0");
        var cloudInit = Encoding.UTF8.GetString(Convert.FromBase64String(Input(vm.Inputs, "osProfile", "customData")));
        var nodeJson = Encoding.UTF8.GetString(Tests.Plan.ClusterPlanTests.CloudInitFiles(cloudInit)[EnvFile.NodeConfigPath].Content);
        Assert.Equal(plan.Nodes.Single(n => n.Id == "eastus2-0").NodeConfigJson, nodeJson);
        Assert.Contains("\"join\": true", nodeJson);
        Assert.Single(second.OfType("azure-native:compute:VirtualMachineRunCommandByVirtualMachine"), s => (string)s.Inputs["vmName"] == "gl-vm-eastus2-0");
    }

    [Fact]
    [Trait("Issue", "14")]
    public async Task Issue14_TwoNewNodesJoinOneAfterTheOther()
    {
        var running = MakePlan("a").Nodes.ToDictionary(n => n.VmName, n => n.ImageVersionId);
        // The first joiner's step is held until the second VM registers: a VM that waits for the step never does.
        var (mocks, _) = await Run(vmImages: running, extraConfig: new() { ["geoledger:regions"] = """["eastus","westus","centralus","eastus2","westus2"]""" },
            hold: ("eastus2-0-member", "westus2-0-vm"));

        // Pulumi registers a resource only once what it depends on is created: the second VM waits for the first joiner's step.
        var order = mocks.Resources.Select(r => r.Name).ToList();
        Assert.True(order.IndexOf("eastus2-0-member") < order.IndexOf("westus2-0-vm"), string.Join(", ", order));
        Assert.True(order.IndexOf("eastus2-0-vm") < order.IndexOf("eastus2-0-member"));
    }

    [Fact]
    [Trait("Issue", "14")]
    public async Task Issue14_ALeavingNodeIsTakenOutByAStayingMemberBeforeItsDiskIsReleased()
    {
        string[] four = ["eastus", "westus", "centralus", "eastus2"];
        var config = MakePlan("a").Config with { Regions = four };
        var running = ClusterPlan.Build(config).Nodes.ToDictionary(n => n.VmName, n => n.ImageVersionId);
        var (mocks, result) = await Run(vmImages: running, extraConfig: new()
        {
            ["geoledger:regions"] = JsonSerializer.Serialize(four),
            ["geoledger:leaveNodes"] = """["eastus2-0"]""",
        }, hold: ("leave-eastus2-0", "eastus2-0-data"));

        var leave = Assert.Single(mocks.OfType("azure-native:compute:VirtualMachineRunCommandByVirtualMachine"), s => s.Name == "leave-eastus2-0");
        Assert.Equal(("gl-vm-eastus-0", "gl-dev-eastus", "geoledger-leave-eastus2-0"), ((string)leave.Inputs["vmName"], (string)leave.Inputs["resourceGroupName"], (string)leave.Inputs["runCommandName"]));
        Assert.Equal(MemberSteps.Leave("eastus2-0"), Input(leave.Inputs, "source", "script"));
        var order = mocks.Resources.Select(r => r.Name).ToList();
        Assert.True(order.IndexOf("leave-eastus2-0") < order.IndexOf("eastus2-0-data"), string.Join(", ", order));
        Assert.Contains("eastus2-0-vm", order);
        Assert.StartsWith("eastus2-0 left", (string)result.Outputs["membership"]!);

        var plan = ClusterPlan.Build(config with { DeployedImages = ClusterPlan.Build(config).NodeImages(), LeaveNodes = ["eastus2-0"] });
        foreach (var node in plan.Nodes)
            Assert.Equal(node.Id != "eastus2-0", RegionCluster.DiskOptions(null, node, null).Protect);
    }

    [Fact]
    public async Task AnInvalidConfigFailsNamingTheSetting()
    {
        var e = await Assert.ThrowsAnyAsync<Exception>(() => Run(extraConfig: new() { ["geoledger:regions"] = """["eastus","westus"]""" }));
        Assert.Contains("geoledger:regions", e.ToString());
    }

    private async Task<(StackMocks Mocks, (ImmutableArray<Resource> Resources, IDictionary<string, object?> Outputs) Result)> Run(
        bool preview = true, string runState = "Succeeded", string runMessage = "", string publish = "a",
        IReadOnlyDictionary<string, string>? vmImages = null, string[]? upgradeNodes = null, Dictionary<string, string>? extraConfig = null,
        string? vmReadError = null, (string Held, string Until)? hold = null)
    {
        var config = new Dictionary<string, string>
        {
            ["geoledger:regions"] = JsonSerializer.Serialize(Regions),
            ["geoledger:imageLocation"] = "eastus",
            ["geoledger:sshPublicKey"] = Tests.Plan.TestConfigs.SshKey,
            ["geoledger:clientCidrs"] = """["203.0.113.0/24"]""",
            ["geoledger:apiToken"] = "token-0123456789abcdef",
            ["geoledger:readToken"] = "reader-0123456789abcdef",
            ["geoledger:clusterSecret"] = "secret-0123456789abcdef",
            ["geoledger:adminToken"] = "admin-0123456789abcdef",
            ["geoledger:upgradeNodes"] = JsonSerializer.Serialize(upgradeNodes ?? []),
        };
        foreach (var (k, v) in extraConfig ?? [])
            config[k] = v;
        Environment.SetEnvironmentVariable("PULUMI_CONFIG", JsonSerializer.Serialize(config));
        Environment.SetEnvironmentVariable("PULUMI_CONFIG_SECRET_KEYS", """["geoledger:apiToken","geoledger:readToken","geoledger:clusterSecret","geoledger:adminToken"]""");
        GeoLedgerStack.Publish = () =>
        {
            _publishes++;
            return Task.FromResult(Published(publish));
        };

        var mocks = new StackMocks(vmImages, runState, runMessage, vmReadError, hold);
        var result = await Deployment.TestAsync(
            mocks.Mock.Object,
            new TestOptions { IsPreview = preview, StackName = "dev", ProjectName = "geoledger" },
            GeoLedgerStack.RunAsync);
        return (mocks, result);
    }

    private ClusterPlan MakePlan(string publish)
    {
        var published = Published(publish);
        return ClusterPlan.Build(Tests.Plan.TestConfigs.Valid(Regions) with
        {
            ClientCidrs = ["203.0.113.0/24"],
            SubscriptionId = StackMocks.SubscriptionId,
            StackName = "dev",
            ImageContentHash = published.ContentHash,
            ArchiveSha256 = published.ArchiveSha256,
        });
    }

    /// <summary>A tiny stand-in for the program's publish: a folder and its archive.</summary>
    private PublishedService Published(string variant)
    {
        var dir = Path.Combine(_temp.FullName, variant, "linux-x64");
        if (!Directory.Exists(dir))
        {
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "GeoLedger.dll"), "service build " + variant);
            ServicePublisher.WriteArchive(dir, dir + ".tar.gz");
        }

        return new PublishedService(dir, dir + ".tar.gz", ContentHash.Of(dir), Sha256(dir + ".tar.gz"));
    }

    private static string Sha256(string file) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)));

    private static string Input(ImmutableDictionary<string, object> inputs, params string[] path)
    {
        object value = inputs;
        foreach (var key in path)
            value = ((ImmutableDictionary<string, object>)value)[key];
        return value is bool b ? b.ToString() : (string)value;
    }

    private static string Canonical(object? value) => value switch
    {
        ImmutableDictionary<string, object> map => "{" + string.Join(",", map.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + ":" + Canonical(kv.Value))) + "}",
        ImmutableArray<object> list => "[" + string.Join(",", list.Select(Canonical)) + "]",
        null => "null",
        _ => value.ToString()!,
    };

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
