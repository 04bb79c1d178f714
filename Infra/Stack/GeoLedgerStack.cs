using System.Security.Cryptography;
using System.Text.Json;
using GeoLedger.Infra.Plan;
using Pulumi;
using Authorization = Pulumi.AzureNative.Authorization;
using Network = Pulumi.AzureNative.Network;

namespace GeoLedger.Infra.Stack;

/// <summary>
/// The stack: maps Pulumi config onto <see cref="StackConfig"/>, makes the <see cref="ClusterPlan"/>
/// and builds it. Nothing is decided here.
/// </summary>
internal static class GeoLedgerStack
{
    /// <summary>Config namespace (the project name).</summary>
    public const string Namespace = "geoledger";

    /// <summary>The program: resources, then the stack outputs.</summary>
    public static async Task<IDictionary<string, object?>> RunAsync()
    {
        var config = await ReadConfigAsync().ConfigureAwait(false);
        ClusterPlan plan;
        try
        {
            plan = ClusterPlan.Build(config.Stack);
        }
        catch (PlanException e)
        {
            throw new RunException($"invalid stack config, {Namespace}:{e.Message}");
        }

        var image = new ImageBuild(plan, config.ArchivePath, config.ArchiveSha256);
        var regions = plan.Regions.ToDictionary(r => r.Region, r => new RegionCluster(plan, r, image.VersionIds));

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

    /// <summary>Stack outputs: URLs, images per node, and the README's curl lines (secret where they carry the token).</summary>
    public static Dictionary<string, object?> Outputs(ClusterPlan plan)
    {
        var first = plan.Nodes.First().PublicUrl.AbsoluteUri;
        var token = plan.Config.ApiToken!;
        const string curl = "curl -sS";
        return new Dictionary<string, object?>
        {
            ["nodeUrls"] = plan.Nodes.ToDictionary(n => n.Id, n => n.PublicUrl.AbsoluteUri),
            ["nodeImages"] = plan.NodeImages(),
            ["imageVersion"] = plan.Image.CurrentVersion,
            ["raftTimeouts"] = $"election {plan.Timeouts.LowerElectionMs}-{plan.Timeouts.UpperElectionMs} ms, rpc {plan.Timeouts.Rpc}, request {plan.Timeouts.Request}, heartbeat threshold {plan.Timeouts.HeartbeatThreshold} (worst RTT {plan.Timeouts.RttMs} ms)",
            ["curlCluster"] = $"{curl} {first}v1/cluster",
            ["curlRead"] = $"{curl} {first}v1/kv/greeting",
            ["curlWrite"] = Output.CreateSecret(
                $"{curl} --location-trusted -X PUT -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' -d '{{\"value\": \"hello from Azure\"}}' {first}v1/kv/greeting"),
            ["curlArticleWrite"] = Output.CreateSecret(
                $"{curl} --location-trusted -X PUT -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' -d '{{\"state\": \"on\"}}' {first}1"),
            ["curlArticleRead"] = $"{curl} {first}1",
        };
    }

    private sealed record Inputs(StackConfig Stack, string ArchivePath, string ArchiveSha256);

    private static async Task<Inputs> ReadConfigAsync()
    {
        var config = new Config(Namespace);
        var client = await Authorization.GetClientConfig.InvokeAsync().ConfigureAwait(false);
        var deployment = Deployment.Instance;

        // The publish folder of Infra/publish.sh and the archive beside it.
        var publishDir = Path.GetFullPath(config.Get("publishDir") ?? Path.Combine("artifacts", "publish", "linux-x64"));
        var archive = publishDir + ".tar.gz";
        if (!Directory.Exists(publishDir) || !File.Exists(archive))
            throw new RunException($"the published service is missing ({publishDir}, {archive}): run Infra/publish.sh before pulumi up");

        // What each node runs now: this stack's own previous output (empty on the first update).
        var self = new StackReference("deployed", new StackReferenceArgs
        {
            Name = $"{deployment.OrganizationName}/{deployment.ProjectName}/{deployment.StackName}",
        });
        var deployed = ToStringMap(await self.GetValueAsync("nodeImages").ConfigureAwait(false));

        var (perRegion, byRegion) = StackConfig.ParseNodesPerRegion(config.Get("nodesPerRegion"));
        var defaults = new StackConfig();
        var stack = new StackConfig
        {
            Regions = config.GetObject<string[]>("regions") ?? StackConfig.DefaultRegions,
            NodesPerRegion = perRegion,
            NodesByRegion = byRegion,
            VmSize = config.Get("vmSize") ?? defaults.VmSize,
            AdminUsername = config.Get("adminUsername") ?? defaults.AdminUsername,
            SshPublicKey = config.Get("sshPublicKey"),
            AdminCidr = config.Get("adminCidr"),
            ClientCidrs = config.GetObject<string[]>("clientCidrs") ?? [],
            ApiToken = await RevealAsync(config.GetSecret("apiToken")).ConfigureAwait(false),
            ClusterSecret = await RevealAsync(config.GetSecret("clusterSecret")).ConfigureAwait(false),
            TlsPfx = await RevealAsync(config.GetSecret("tlsPfx")).ConfigureAwait(false),
            TlsPfxPassword = await RevealAsync(config.GetSecret("tlsPfxPassword")).ConfigureAwait(false),
            MaxRttMs = config.GetInt32("maxRttMs"),
            UpgradeNodes = config.GetObject<string[]>("upgradeNodes") ?? [],
            NamePrefix = config.Get("namePrefix") ?? defaults.NamePrefix,
            DataDiskSizeGb = config.GetInt32("dataDiskSizeGb") ?? defaults.DataDiskSizeGb,
            SubscriptionId = client.SubscriptionId,
            StackName = deployment.StackName,
            ImageContentHash = ContentHash.Of(publishDir),
            DeployedImages = deployed,
        };

        await using var stream = File.OpenRead(archive);
        var sha = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream).ConfigureAwait(false));
        return new Inputs(stack, archive, sha);
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

    private static Dictionary<string, string> ToStringMap(object? value) => value switch
    {
        IReadOnlyDictionary<string, object> map => map.Where(kv => kv.Value is string)
            .ToDictionary(kv => kv.Key, kv => (string)kv.Value, StringComparer.Ordinal),
        IDictionary<string, object> map => map.Where(kv => kv.Value is string)
            .ToDictionary(kv => kv.Key, kv => (string)kv.Value, StringComparer.Ordinal),
        JsonElement { ValueKind: JsonValueKind.Object } json => json.EnumerateObject()
            .Where(p => p.Value.ValueKind == JsonValueKind.String)
            .ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal),
        _ => new Dictionary<string, string>(StringComparer.Ordinal),
    };
}
