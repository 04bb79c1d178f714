using System.Globalization;
using System.Text.Json;

namespace GeoLedger.Infra.Plan;

/// <summary>
/// Everything the plan decides from: the stack config (namespace <c>geoledger</c>; defaults in
/// Pulumi.yaml) plus what the stack reads from its environment (subscription, stack name, the
/// published service and the image each node's VM really runs). Plain C#: the Stack maps Pulumi's
/// <c>Config</c> onto it.
/// </summary>
public sealed record StackConfig
{
    /// <summary>The regions of the article's cluster.</summary>
    public static readonly IReadOnlyList<string> DefaultRegions = ["eastus", "westus", "centralus"];

    /// <summary>Let's Encrypt's production directory, the default ACME CA.</summary>
    public const string LetsEncrypt = "https://acme-v02.api.letsencrypt.org/directory";

    /// <summary><c>regions</c>: Azure regions, one VNet and at least one node each (3 or more); order does not matter.</summary>
    public IReadOnlyList<string> Regions { get; init; } = DefaultRegions;

    /// <summary>
    /// <c>leaderRegions</c>: regions where the leader should be, most preferred first (a subset of <see cref="Regions"/>;
    /// empty: no preference). Each node's <c>priority</c> follows its region's place; the others get 0.
    /// </summary>
    public IReadOnlyList<string> LeaderRegions { get; init; } = [];

    /// <summary><c>imageLocation</c> (required): the region of the image pipeline (storage, gallery, build).</summary>
    public string? ImageLocation { get; init; }

    /// <summary><c>vnetCidrs</c>: region → its VNet's /16, for regions missing from <see cref="VnetRanges"/> or to override it.</summary>
    public IReadOnlyDictionary<string, string> VnetCidrs { get; init; } = new Dictionary<string, string>();

    /// <summary><c>nodesPerRegion</c> as a number: nodes in every region.</summary>
    public int NodesPerRegion { get; init; } = 1;

    /// <summary><c>nodesPerRegion</c> as an object (<c>{"eastus": 2, ...}</c>): nodes per named region; others get <see cref="NodesPerRegion"/>.</summary>
    public IReadOnlyDictionary<string, int>? NodesByRegion { get; init; }

    /// <summary><c>vmSize</c>: a Gen2 size that supports Trusted Launch.</summary>
    public string VmSize { get; init; } = "Standard_B2s";

    /// <summary><c>adminUsername</c>: the SSH login (never the service user <c>geoledger</c>).</summary>
    public string AdminUsername { get; init; } = "azureuser";

    /// <summary><c>sshPublicKey</c> (required): the only way to log in.</summary>
    public string? SshPublicKey { get; init; }

    /// <summary><c>adminCidr</c>: who may reach SSH; without it no SSH rule exists.</summary>
    public string? AdminCidr { get; init; }

    /// <summary><c>clientCidrs</c>: who may reach the API port (required when <c>tls</c> is <c>off</c>).</summary>
    public IReadOnlyList<string> ClientCidrs { get; init; } = [];

    /// <summary><c>apiToken</c> (secret, required): the write token of <c>Ledger:ApiTokens</c>.</summary>
    public string? ApiToken { get; init; }

    /// <summary><c>readToken</c> (secret, required): the read token; reads need a token (<c>Ledger:RequireReadAuth</c>).</summary>
    public string? ReadToken { get; init; }

    /// <summary><c>adminToken</c> (secret, required): the admin token of <c>Ledger:ApiTokens</c>, for membership changes.</summary>
    public string? AdminToken { get; init; }

    /// <summary><c>leaveNodes</c>: node ids that leave the cluster in this <c>pulumi up</c> (docs/deploy-azure.md, "Removing a node").</summary>
    public IReadOnlyList<string> LeaveNodes { get; init; } = [];

    /// <summary><c>clusterSecret</c> (secret, required): <c>Ledger:ClusterSecret</c>.</summary>
    public string? ClusterSecret { get; init; }

    /// <summary><c>tls</c>: <c>acme</c> (default: a certificate per node from <see cref="AcmeServer"/>) or <c>off</c>; a <c>tlsPfx</c> means <c>pfx</c>.</summary>
    public string? Tls { get; init; }

    /// <summary><c>acmeServer</c>: the ACME directory URL.</summary>
    public string AcmeServer { get; init; } = LetsEncrypt;

    /// <summary><c>acmeEmail</c>: the ACME account's contact (expiry notices), optional.</summary>
    public string? AcmeEmail { get; init; }

    /// <summary><c>tlsPfx</c> (secret, optional): base64 of a PKCS#12 file for every node; https on 443.</summary>
    public string? TlsPfx { get; init; }

    /// <summary><c>tlsPfxPassword</c> (secret, optional): the password of <see cref="TlsPfx"/>.</summary>
    public string? TlsPfxPassword { get; init; }

    /// <summary><c>maxRttMs</c>: the round trip assumed for region pairs missing from <see cref="RegionRtt"/>.</summary>
    public int? MaxRttMs { get; init; }

    /// <summary><c>upgradeNodes</c>: node ids that take the current image in this <c>pulumi up</c> (a minority at most).</summary>
    public IReadOnlyList<string> UpgradeNodes { get; init; } = [];

    /// <summary><c>imageBuildAttempt</c>: part of the template's name; raise it to build again after a failed build.</summary>
    public int ImageBuildAttempt { get; init; } = 1;

    /// <summary><c>namePrefix</c>: first part of every resource name and DNS label.</summary>
    public string NamePrefix { get; init; } = "gl";

    /// <summary><c>dataDiskSizeGb</c>: size of each node's data disk.</summary>
    public int DataDiskSizeGb { get; init; } = 32;

    /// <summary>The Azure subscription (from the provider's client config); part of the name hash.</summary>
    public string SubscriptionId { get; init; } = "";

    /// <summary>The Pulumi stack name; part of every name.</summary>
    public string StackName { get; init; } = "";

    /// <summary>Content hash (hex SHA-256, <see cref="ContentHash"/>) of the published service folder.</summary>
    public string ImageContentHash { get; init; } = "";

    /// <summary>Hex SHA-256 of the service archive the build VM downloads and checks.</summary>
    public string ArchiveSha256 { get; init; } = "";

    /// <summary>Node id → gallery image version its VM runs now, read from Azure (absent: no VM yet).</summary>
    public IReadOnlyDictionary<string, string> DeployedImages { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Reads the <c>nodesPerRegion</c> setting: a whole number, or a JSON object of region to number.
    /// </summary>
    /// <exception cref="PlanException">Neither form.</exception>
    public static (int PerRegion, IReadOnlyDictionary<string, int>? ByRegion) ParseNodesPerRegion(string? raw)
    {
        if (string.IsNullOrWhiteSpace(raw))
            return (1, null);
        if (int.TryParse(raw.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            return (n, null);
        try
        {
            var map = JsonSerializer.Deserialize<Dictionary<string, int>>(raw);
            if (map is not null)
                return (1, map);
        }
        catch (JsonException)
        {
        }

        throw new PlanException("nodesPerRegion", $"'{raw}' is neither a whole number nor an object such as {{\"eastus\": 2, \"westus\": 1, \"centralus\": 1}}");
    }
}
