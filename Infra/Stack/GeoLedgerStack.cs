using GeoLedger.Infra.Plan;
using GeoLedger.Infra.Publish;
using Pulumi;
using Authorization = Pulumi.AzureNative.Authorization;
using Compute = Pulumi.AzureNative.Compute;
using Network = Pulumi.AzureNative.Network;

namespace GeoLedger.Infra.Stack;

/// <summary>
/// The stack: publishes the service, maps Pulumi config and what Azure really runs onto
/// <see cref="StackConfig"/>, makes the <see cref="ClusterPlan"/> and builds it. Nothing is decided here.
/// </summary>
internal static class GeoLedgerStack
{
    /// <summary>Config namespace (the project name).</summary>
    public const string Namespace = "geoledger";

    /// <summary>How the program publishes the service; the stack tests put a small stand-in here.</summary>
    internal static Func<Task<PublishedService>> Publish { get; set; } = () =>
        ServicePublisher.PublishAsync(RepositoryRoot(), Path.Combine(RepositoryRoot(), ServicePublisher.DefaultFolder));

    /// <summary>The program: resources, then the stack outputs.</summary>
    public static async Task<IDictionary<string, object?>> RunAsync()
    {
        var published = await Publish().ConfigureAwait(false);
        var config = await ReadConfigAsync(published).ConfigureAwait(false);
        // The first plan only names the VMs to read: who leaves is checked against the VMs that run.
        var plan = MakePlan(config with { LeaveNodes = [] });
        // What each VM really runs (not what an earlier update planned): read from Azure.
        plan = MakePlan(config with { DeployedImages = await DeployedImagesAsync(plan).ConfigureAwait(false) });

        var image = new ImageBuild(plan, published.Archive);
        var gates = plan.Membership.Joins.Skip(1).Concat(plan.Membership.Leaves)
            .ToDictionary(id => id, _ => new TaskCompletionSource<Resource>(TaskCreationOptions.RunContinuationsAsynchronously), StringComparer.Ordinal);
        var gateTasks = gates.ToDictionary(g => g.Key, g => g.Value.Task, StringComparer.Ordinal);
        var regions = plan.Regions.ToDictionary(r => r.Region, r => new RegionCluster(plan, r, image.CurrentVersionId, gateTasks));
        OrderMembershipSteps(plan, regions, gates);

        // Full mesh, both directions; peerings of one VNet one after another (Azure serializes them).
        var previous = new Dictionary<string, Resource>();
        foreach (var peering in plan.Peerings)
        {
            var from = regions[peering.From];
            var dependsOn = new List<Resource> { from.Subnet, regions[peering.To].Subnet };
            if (previous.TryGetValue(peering.From, out var last))
                dependsOn.Add(last);
            var regionPlan = plan.Regions.Single(r => r.Region == peering.From);
            previous[peering.From] = new Network.VirtualNetworkPeering($"peering-{peering.Name}", new()
            {
                VirtualNetworkPeeringName = peering.Name,
                ResourceGroupName = regionPlan.ResourceGroupName,
                VirtualNetworkName = from.Vnet.Name,
                RemoteVirtualNetwork = new Network.Inputs.SubResourceArgs { Id = regions[peering.To].Vnet.Id },
                AllowVirtualNetworkAccess = true,
                AllowForwardedTraffic = false,
                AllowGatewayTransit = false,
                UseRemoteGateways = false,
            }, new CustomResourceOptions { DependsOn = dependsOn.ToArray() });
        }

        return Outputs(plan);
    }

    /// <summary>
    /// One membership change at a time: each joiner's VM waits for the joiner before it to be a voter; the
    /// leave steps run one after another on a staying member, and each leaver's disk waits for its step.
    /// </summary>
    private static void OrderMembershipSteps(ClusterPlan plan, Dictionary<string, RegionCluster> regions, Dictionary<string, TaskCompletionSource<Resource>> gates)
    {
        var regionOf = plan.Nodes.ToDictionary(n => n.Id, n => n.Region, StringComparer.Ordinal);
        var joins = plan.Membership.Joins;
        for (var i = 1; i < joins.Count; i++)
            gates[joins[i]].SetResult(regions[regionOf[joins[i - 1]]].MemberSteps[joins[i - 1]]);

        if (plan.Membership.Operator is not { } op)
            return;
        var opNode = plan.Nodes.Single(n => n.Id == op);
        var opRegion = plan.Regions.Single(r => r.Region == opNode.Region);
        var opVm = regions[opNode.Region].Vms[op];
        Resource? previous = null;
        foreach (var leaving in plan.Membership.Leaves)
        {
            var options = new CustomResourceOptions();
            if (previous is not null)
                options.DependsOn.Add(previous);
            previous = new Compute.VirtualMachineRunCommandByVirtualMachine($"leave-{leaving}", new()
            {
                RunCommandName = $"geoledger-leave-{leaving}",
                VmName = opVm.Name,
                ResourceGroupName = opRegion.ResourceGroupName,
                Location = opNode.Region,
                Source = new Compute.Inputs.VirtualMachineRunCommandScriptSourceArgs { Script = MemberSteps.Leave(leaving) },
                AsyncExecution = false,
                TimeoutInSeconds = MemberSteps.TimeoutSeconds,
                TreatFailureAsDeploymentFailure = true,
            }, options);
            gates[leaving].SetResult(previous);
        }
    }

    /// <summary>Stack outputs: URLs, images per node, and the README's curl lines (secret: they carry a token).</summary>
    public static Dictionary<string, object?> Outputs(ClusterPlan plan)
    {
        var first = plan.Nodes.First().PublicUrl.AbsoluteUri;
        var write = $"curl -sS --location-trusted -H 'Authorization: Bearer {plan.Config.ApiToken}'";
        var read = $"curl -sS -H 'Authorization: Bearer {plan.Config.ReadToken}'";
        return new Dictionary<string, object?>
        {
            ["nodeUrls"] = plan.Nodes.ToDictionary(n => n.Id, n => n.PublicUrl.AbsoluteUri),
            ["nodeImages"] = plan.NodeImages(),
            ["membership"] = plan.Membership.Founding ? "founding"
                : plan.Membership.Joins.Count > 0 ? $"joining {string.Join(", ", plan.Membership.Joins)}"
                : plan.Membership.Leaves.Count > 0 ? $"{string.Join(", ", plan.Membership.Leaves)} left: now take them out of the layout and out of leaveNodes, then pulumi up deletes their VMs"
                : "unchanged",
            ["imageVersion"] = plan.Image.CurrentVersion,
            ["imageTemplate"] = plan.Image.TemplateName,
            ["tls"] = plan.TlsMode.ToString().ToLowerInvariant(),
            ["raftTimeouts"] = $"election {plan.Timeouts.LowerElectionMs}-{plan.Timeouts.UpperElectionMs} ms, rpc {plan.Timeouts.Rpc}, request {plan.Timeouts.Request}, heartbeat threshold {plan.Timeouts.HeartbeatThreshold} (worst RTT {plan.Timeouts.RttMs} ms)",
            ["curlCluster"] = Output.CreateSecret($"{read} {first}v1/cluster"),
            ["curlRead"] = Output.CreateSecret($"{read} {first}v1/kv/greeting"),
            ["curlWrite"] = Output.CreateSecret(
                $"{write} -X PUT -H 'Content-Type: application/json' -d '{{\"value\": \"hello from Azure\"}}' {first}v1/kv/greeting"),
            ["curlArticleWrite"] = Output.CreateSecret(
                $"{write} -X PUT -H 'Content-Type: application/json' -d '{{\"state\": \"on\"}}' {first}1"),
            ["curlArticleRead"] = Output.CreateSecret($"{read} {first}1"),
        };
    }

    private static ClusterPlan MakePlan(StackConfig config)
    {
        try
        {
            return ClusterPlan.Build(config);
        }
        catch (PlanException e)
        {
            throw new RunException($"invalid stack config, {Namespace}:{e.Message}");
        }
    }

    private static async Task<StackConfig> ReadConfigAsync(PublishedService published)
    {
        var config = new Config(Namespace);
        var client = await Authorization.GetClientConfig.InvokeAsync().ConfigureAwait(false);
        var (perRegion, byRegion) = StackConfig.ParseNodesPerRegion(config.Get("nodesPerRegion"));
        var defaults = new StackConfig();
        return new StackConfig
        {
            Regions = config.GetObject<string[]>("regions") ?? StackConfig.DefaultRegions,
            LeaderRegions = config.GetObject<string[]>("leaderRegions") ?? [],
            ImageLocation = config.Get("imageLocation"),
            VnetCidrs = config.GetObject<Dictionary<string, string>>("vnetCidrs") ?? [],
            NodesPerRegion = perRegion,
            NodesByRegion = byRegion,
            VmSize = config.Get("vmSize") ?? defaults.VmSize,
            AdminUsername = config.Get("adminUsername") ?? defaults.AdminUsername,
            SshPublicKey = config.Get("sshPublicKey"),
            AdminCidr = config.Get("adminCidr"),
            ClientCidrs = config.GetObject<string[]>("clientCidrs") ?? [],
            ApiToken = await RevealAsync(config.GetSecret("apiToken")).ConfigureAwait(false),
            ReadToken = await RevealAsync(config.GetSecret("readToken")).ConfigureAwait(false),
            ClusterSecret = await RevealAsync(config.GetSecret("clusterSecret")).ConfigureAwait(false),
            AdminToken = await RevealAsync(config.GetSecret("adminToken")).ConfigureAwait(false),
            LeaveNodes = config.GetObject<string[]>("leaveNodes") ?? [],
            Tls = config.Get("tls"),
            AcmeServer = config.Get("acmeServer") ?? defaults.AcmeServer,
            AcmeEmail = config.Get("acmeEmail"),
            TlsPfx = await RevealAsync(config.GetSecret("tlsPfx")).ConfigureAwait(false),
            TlsPfxPassword = await RevealAsync(config.GetSecret("tlsPfxPassword")).ConfigureAwait(false),
            MaxRttMs = config.GetInt32("maxRttMs"),
            UpgradeNodes = config.GetObject<string[]>("upgradeNodes") ?? [],
            ImageBuildAttempt = config.GetInt32("imageBuildAttempt") ?? defaults.ImageBuildAttempt,
            NamePrefix = config.Get("namePrefix") ?? defaults.NamePrefix,
            DataDiskSizeGb = config.GetInt32("dataDiskSizeGb") ?? defaults.DataDiskSizeGb,
            SubscriptionId = client.SubscriptionId,
            StackName = Deployment.Instance.StackName,
            ImageContentHash = published.ContentHash,
            ArchiveSha256 = published.ArchiveSha256,
        };
    }

    /// <summary>
    /// Node id → the gallery version its VM boots from now, read from Azure: a stack output would
    /// hold what an earlier update planned even when it failed. A node without a VM is absent.
    /// </summary>
    private static async Task<Dictionary<string, string>> DeployedImagesAsync(ClusterPlan plan)
    {
        var images = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var region in plan.Regions)
        {
            foreach (var node in region.Nodes)
            {
                Compute.GetVirtualMachineResult vm;
                try
                {
                    vm = await Compute.GetVirtualMachine.InvokeAsync(new Compute.GetVirtualMachineArgs
                    {
                        ResourceGroupName = region.ResourceGroupName,
                        VmName = node.VmName,
                    }).ConfigureAwait(false);
                }
                catch (Exception e) when (IsNotFound(e))
                {
                    continue;
                }

                var id = vm.StorageProfile?.ImageReference?.Id ?? "";
                var marker = $"/images/{plan.Image.GalleryImageName}/versions/";
                var at = id.LastIndexOf(marker, StringComparison.OrdinalIgnoreCase);
                images[node.Id] = at < 0 ? id : id[(at + marker.Length)..];
            }
        }

        return images;
    }

    // Azure's answers for a VM or its resource group that does not exist; anything else (no access,
    // throttling) must stop the update rather than count the node as new and replace it.
    private static bool IsNotFound(Exception e) =>
        e.ToString() is var text && (text.Contains("ResourceNotFound", StringComparison.Ordinal)
            || text.Contains("ResourceGroupNotFound", StringComparison.Ordinal)
            || text.Contains("NotFound", StringComparison.Ordinal) && text.Contains("404", StringComparison.Ordinal));

    /// <summary>The repository root: where Pulumi runs the program (Pulumi.yaml beside Service/).</summary>
    private static string RepositoryRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Pulumi.yaml")) && File.Exists(Path.Combine(dir.FullName, "Service", "Service.csproj")))
                    return dir.FullName;
            }
        }

        throw new RunException("cannot find the repository (Pulumi.yaml beside Service/Service.csproj): run pulumi from the GeoLedger repository");
    }

    // Config secrets are always known, even in preview; the plan needs them as text, and every
    // resource input that embeds them is made secret again by the stack.
    private static Task<string?> RevealAsync(Output<string>? secret)
    {
        if (secret is null)
            return Task.FromResult<string?>(null);
        var value = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        secret.Apply(v =>
        {
            value.TrySetResult(v);
            return v;
        });
        return value.Task;
    }
}
