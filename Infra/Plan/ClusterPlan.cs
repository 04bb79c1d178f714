using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;
using static GeoLedger.Infra.Plan.AzureNames;

namespace GeoLedger.Infra.Plan;

/// <summary>
/// Every decision of the deployment, made from the stack config alone: names, address spaces,
/// members, firewall rules, Raft timeouts, images per node and each VM's cloud-init. The Stack
/// turns it into resources and decides nothing.
/// </summary>
public sealed partial record ClusterPlan
{
    /// <summary>Port of the Raft protocol (private network only).</summary>
    public const int RaftPort = 3262;

    /// <summary>SSH port.</summary>
    public const int SshPort = 22;

    /// <summary>
    /// The most members the service accepts (<c>LedgerNode.MaxMembers</c>; a test holds the two equal):
    /// the plan refuses a layout the nodes would refuse at start.
    /// </summary>
    public const int MaxMembers = 7;

    /// <summary>The config the plan was made from.</summary>
    public required StackConfig Config { get; init; }

    /// <summary>Short hash of subscription and stack: keeps DNS labels and the storage account unique.</summary>
    public required string NameHash { get; init; }

    /// <summary>The regions, in config order.</summary>
    public required IReadOnlyList<RegionPlan> Regions { get; init; }

    /// <summary>Global VNet peerings: every ordered pair of regions.</summary>
    public required IReadOnlyList<PeeringPlan> Peerings { get; init; }

    /// <summary>The geo Raft profile.</summary>
    public required RaftTimeouts Timeouts { get; init; }

    /// <summary>The image pipeline.</summary>
    public required ImagePlan Image { get; init; }

    /// <summary>Who joins and who leaves in this update.</summary>
    public required MembershipPlan Membership { get; init; }

    /// <summary>How the API is served: ACME certificates (default), the stack's PFX, or plain http.</summary>
    public required TlsMode TlsMode { get; init; }

    /// <summary>True when the API is served over https.</summary>
    public bool Tls => TlsMode != TlsMode.Off;

    /// <summary>The client port: 443 with TLS, else 80.</summary>
    public int ClientPort => Tls ? 443 : 80;

    /// <summary>Every node, region by region.</summary>
    public IEnumerable<NodePlan> Nodes => Regions.SelectMany(r => r.Nodes);

    /// <summary>Makes the plan.</summary>
    /// <exception cref="PlanException">The config is invalid; the message names the setting.</exception>
    public static ClusterPlan Build(StackConfig config)
    {
        var regions = CheckRegions(config.Regions);
        var priorities = LeaderPriorities(config.LeaderRegions, regions);
        var counts = CheckNodeCounts(config, regions);
        var prefix = config.NamePrefix;
        if (string.IsNullOrWhiteSpace(prefix))
            throw new PlanException("namePrefix", "must not be empty");
        if (string.IsNullOrWhiteSpace(config.StackName))
            throw new PlanException("stack", "the stack name is empty");
        if (string.IsNullOrWhiteSpace(config.SubscriptionId))
            throw new PlanException("azure-native:subscriptionId", "the subscription id is empty: run az login or set it");

        CheckAdminUsername(config.AdminUsername);
        CheckSshKey(config.SshPublicKey);
        var apiToken = CheckSecret("apiToken", config.ApiToken, 16);
        var readToken = CheckSecret("readToken", config.ReadToken, 16);
        if (readToken == apiToken)
            throw new PlanException("readToken", "equals apiToken: a read token must not be able to write, so give it its own value");
        var clusterSecret = CheckSecret("clusterSecret", config.ClusterSecret, 16);
        var adminToken = CheckSecret("adminToken", config.AdminToken, 16);
        if (adminToken == apiToken || adminToken == readToken)
            throw new PlanException("adminToken", $"equals {(adminToken == apiToken ? "apiToken" : "readToken")}: the token that changes the members must not be handed to clients, so give it its own value");
        var tls = CheckTls(config);
        if (config.DataDiskSizeGb is < 4 or > 4096)
            throw new PlanException("dataDiskSizeGb", $"{config.DataDiskSizeGb} is out of range: use 4 to 4096");
        if (config.MaxRttMs is <= 0 or > 2000)
            throw new PlanException("maxRttMs", $"{config.MaxRttMs} is out of range: use 1 to 2000 milliseconds");
        if (string.IsNullOrWhiteSpace(config.VmSize) || !VmSizePattern().IsMatch(config.VmSize))
            throw new PlanException("vmSize", $"'{config.VmSize}' is not an Azure VM size such as Standard_B2s");
        if (config.ImageBuildAttempt is < 1 or > 9999)
            throw new PlanException("imageBuildAttempt", $"{config.ImageBuildAttempt} is out of range: use 1 to 9999");
        var imageLocation = config.ImageLocation?.Trim();
        if (string.IsNullOrEmpty(imageLocation) || !RegionPattern().IsMatch(imageLocation))
            throw new PlanException("imageLocation", $"'{config.ImageLocation}' is not an Azure region name: name the region of the image pipeline, such as eastus (Pulumi.yaml sets eastus)");

        var nameHash = Hex(SHA256.HashData(Encoding.UTF8.GetBytes($"{config.SubscriptionId}/{config.StackName}")));
        var vnetCidrs = PlanVnets(config, regions);
        var nsgSources = CheckCidrs(config, tls != TlsMode.Off, vnetCidrs.Values.ToList());
        var timeouts = RaftTimeouts.ForRtt(RaftTimeouts.WorstRtt(regions, config.MaxRttMs));
        var image = PlanImage(config, imageLocation, regions, nameHash);

        // Members first (every node config lists all of them), then each node's files.
        var scheme = tls == TlsMode.Off ? "http" : "https";
        var members = new List<NodePlan>();
        foreach (var region in regions)
        {
            var subnet = new Cidr(vnetCidrs[region].Network, 24);
            for (var i = 0; i < counts[region]; i++)
            {
                var id = $"{region}-{i}";
                var label = Check(Kind.DnsLabel, $"{prefix}-{id}-{nameHash[..6]}", "namePrefix");
                var fqdn = $"{label}.{region}.cloudapp.azure.com";
                var ip = Cidr.Address(subnet.Network + 4 + (uint)i);
                members.Add(new NodePlan
                {
                    Id = id,
                    Region = region,
                    Index = i,
                    Priority = priorities.GetValueOrDefault(region),
                    PrivateIp = ip,
                    DnsLabel = label,
                    Fqdn = fqdn,
                    PublicUrl = new Uri($"{scheme}://{fqdn}/"),
                    RaftUrl = new Uri($"http://{ip}:{RaftPort}/"),
                    VmName = Check(Kind.VirtualMachine, $"{prefix}-vm-{id}", "namePrefix"),
                    ComputerName = Check(Kind.ComputerName, id, "regions"),
                    NicName = Check(Kind.NetworkInterface, $"{prefix}-nic-{id}", "namePrefix"),
                    PublicIpName = Check(Kind.PublicIp, $"{prefix}-pip-{id}", "namePrefix"),
                    DataDiskName = Check(Kind.Disk, $"{prefix}-data-{id}", "namePrefix"),
                    ImageVersion = "",
                    ImageVersionId = "",
                    TakesCurrentImage = false,
                    NodeConfigJson = "",
                    EnvFile = "",
                    CloudInit = "",
                });
            }
        }

        var upgrades = CheckUpgradeNodes(config.UpgradeNodes, members);
        var membership = MembershipPlan.Build(config, members, counts);
        var env = EnvFile.Render(EnvFile.Entries(apiToken, readToken, clusterSecret, timeouts, tls, config.TlsPfxPassword, adminToken));
        var nodes = members.Select(m =>
        {
            var takesCurrent = upgrades.Contains(m.Id) || !config.DeployedImages.ContainsKey(m.Id);
            var version = takesCurrent ? image.CurrentVersion : CheckVersion(m.Id, config.DeployedImages[m.Id]);
            var json = NodeConfigJson.Render(m.Id, members.Where(o => membership.StartMembers[m.Id].Contains(o.Id)).ToList(), membership.JoinFlags[m.Id]);
            var acme = tls == TlsMode.Acme ? new CloudInit.Acme(m.Fqdn, config.AcmeServer, config.AcmeEmail ?? "") : null;
            var cloudInit = CloudInit.Render(m.Id, json, env, tls == TlsMode.Pfx ? config.TlsPfx : null, acme);
            var size = Encoding.UTF8.GetByteCount(cloudInit);
            if (size > CloudInit.MaxBytes)
                throw new PlanException(tls == TlsMode.Pfx ? "tlsPfx" : "regions", $"makes the custom data of {m.Id} {size} bytes, over Azure's limit of {CloudInit.MaxBytes}: use a smaller certificate (or tls: acme)");
            return m with
            {
                ImageVersion = version,
                ImageVersionId = image.VersionId(version),
                TakesCurrentImage = takesCurrent,
                NodeConfigJson = json,
                EnvFile = env,
                CloudInit = cloudInit,
                Join = membership.JoinFlags[m.Id],
                Leaving = membership.Leaves.Contains(m.Id),
            };
        }).ToList();

        var clientPort = tls == TlsMode.Off ? 80 : 443;
        var allVnets = regions.Select(r => vnetCidrs[r].ToString()).ToList();
        var regionPlans = regions.Select(region =>
        {
            var rules = new List<NsgRule>
            {
                new("allow-api", 100, nsgSources, clientPort),
                new("allow-raft-from-cluster", 110, allVnets, RaftPort),
                // Followers ask the leader for read indices and acknowledge entries with UDP datagrams on the same port number (docs/architecture.md).
                new("allow-raft-datagrams-from-cluster", 111, allVnets, RaftPort, NsgProtocol.Udp),
                // The membership script reaches the leader's API over the peerings (docs/deploy-azure.md).
                new("allow-api-from-cluster", 115, allVnets, clientPort),
            };
            if (config.AdminCidr is not null)
                rules.Add(new NsgRule("allow-ssh-from-admin", 120, [Cidr.Parse(config.AdminCidr, "adminCidr").ToString()], SshPort));
            // The ACME CA validates from many places on the internet; only certbot answers on port 80.
            if (tls == TlsMode.Acme)
                rules.Add(new NsgRule("allow-acme-http01", 130, ["Internet"], 80));
            return new RegionPlan(
                region,
                Check(Kind.ResourceGroup, $"{prefix}-{config.StackName}-{region}", "namePrefix"),
                Check(Kind.VirtualNetwork, $"{prefix}-vnet-{region}", "namePrefix"),
                vnetCidrs[region].ToString(),
                "nodes",
                new Cidr(vnetCidrs[region].Network, 24).ToString(),
                Check(Kind.NetworkSecurityGroup, $"{prefix}-nsg-{region}", "namePrefix"),
                rules,
                nodes.Where(n => n.Region == region).ToList());
        }).ToList();

        var peerings = (from a in regions from b in regions where a != b
                        select new PeeringPlan(Check(Kind.Peering, $"{a}-to-{b}", "regions"), a, b)).ToList();

        return new ClusterPlan
        {
            Config = config,
            NameHash = nameHash[..6],
            Regions = regionPlans,
            Peerings = peerings,
            Timeouts = timeouts,
            Image = image,
            TlsMode = tls,
            Membership = membership,
        };
    }

    /// <summary>Node id → image version, the stack's <c>nodeImages</c> output (read back on the next update).</summary>
    public IReadOnlyDictionary<string, string> NodeImages() =>
        Nodes.ToDictionary(n => n.Id, n => n.ImageVersion, StringComparer.Ordinal);

    /// <summary>Every name the plan made, with its kind (for the naming-rule tests).</summary>
    public IEnumerable<(Kind Kind, string Name)> AllNames()
    {
        yield return (Kind.ResourceGroup, Image.ResourceGroupName);
        yield return (Kind.Identity, Image.BuilderIdentityName);
        yield return (Kind.Identity, Image.BuildVmIdentityName);
        yield return (Kind.StorageAccount, Image.StorageAccountName);
        yield return (Kind.BlobContainer, Image.ContainerName);
        yield return (Kind.Blob, Image.BlobName);
        yield return (Kind.Gallery, Image.GalleryName);
        yield return (Kind.GalleryImage, Image.GalleryImageName);
        yield return (Kind.ImageTemplate, Image.TemplateName);
        foreach (var r in Regions)
        {
            yield return (Kind.ResourceGroup, r.ResourceGroupName);
            yield return (Kind.VirtualNetwork, r.VnetName);
            yield return (Kind.Subnet, r.SubnetName);
            yield return (Kind.NetworkSecurityGroup, r.NsgName);
            foreach (var n in r.Nodes)
            {
                yield return (Kind.VirtualMachine, n.VmName);
                yield return (Kind.ComputerName, n.ComputerName);
                yield return (Kind.NetworkInterface, n.NicName);
                yield return (Kind.PublicIp, n.PublicIpName);
                yield return (Kind.Disk, n.DataDiskName);
                yield return (Kind.DnsLabel, n.DnsLabel);
            }
        }

        foreach (var p in Peerings)
            yield return (Kind.Peering, p.Name);
    }

    private static ImagePlan PlanImage(StackConfig config, string location, List<string> regions, string nameHash)
    {
        var prefix = config.NamePrefix;
        var hash = CheckHash(config.ImageContentHash, "content hash of the published service");
        var archiveSha = CheckHash(config.ArchiveSha256, "SHA-256 of the service archive");
        var gallery = Check(Kind.Gallery, $"{prefix}gallery{nameHash[..6]}", "namePrefix");
        var account = Check(Kind.StorageAccount, $"{prefix}{nameHash[..10]}", "namePrefix");
        var container = Check(Kind.BlobContainer, "images", "namePrefix");
        var blob = Check(Kind.Blob, $"geoledger-{hash[..16]}.tar.gz", "publish");
        var blobUrl = new Uri($"https://{account}.blob.core.windows.net/{container}/{blob}");
        var roleGuid = new Guid(SHA256.HashData(Encoding.UTF8.GetBytes($"{config.SubscriptionId}/{config.StackName}/image-builder-role")).AsSpan(0, 16)).ToString();
        var image = new ImagePlan
        {
            Location = location,
            ResourceGroupName = Check(Kind.ResourceGroup, $"{prefix}-{config.StackName}-image", "namePrefix"),
            BuilderIdentityName = Check(Kind.Identity, $"{prefix}-imagebuilder", "namePrefix"),
            BuildVmIdentityName = Check(Kind.Identity, $"{prefix}-imagebuild-vm", "namePrefix"),
            BuilderRoleName = $"{prefix}-{config.StackName}-image-builder-{nameHash[..6]}",
            BuilderRoleGuid = roleGuid,
            StorageAccountName = account,
            ContainerName = container,
            BlobName = blob,
            BlobUrl = blobUrl,
            GalleryName = gallery,
            GalleryImageName = Check(Kind.GalleryImage, "geoledger-node", "namePrefix"),
            TemplateName = "",
            ContentHash = hash,
            SpecHash = "",
            CurrentVersion = "",
            ReplicationRegions = regions.Append(location).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(),
            InstallScript = "",
            SubscriptionId = config.SubscriptionId,
        };
        image = image with { InstallScript = ImageScript.Install(blobUrl, archiveSha, image.BuildVmIdentityId) };
        var spec = ImageSpec.Hash(image, config.ImageBuildAttempt);
        return image with
        {
            SpecHash = spec,
            TemplateName = Check(Kind.ImageTemplate, $"{prefix}-geoledger-{spec[..16]}", "namePrefix"),
            CurrentVersion = ContentHash.ImageVersion(spec),
        };
    }

    private static string CheckHash(string value, string what)
    {
        var hash = value.Trim().ToLowerInvariant();
        if (hash.Length != 64 || !hash.All(Uri.IsHexDigit))
            throw new PlanException("publish", $"the {what} '{value}' is not a SHA-256: the program publishes the service before it plans");
        return hash;
    }

    // The version a node's VM runs, read from Azure: it must be one of ours.
    private static string CheckVersion(string node, string version)
    {
        if (!VersionPattern().IsMatch(version))
            throw new PlanException("upgradeNodes", $"the VM of {node} runs '{version}', not a version of this stack's gallery image: name {node} in upgradeNodes to move it to the current image");
        return version;
    }

    private static Dictionary<string, Cidr> PlanVnets(StackConfig config, List<string> regions)
    {
        var unknown = config.VnetCidrs.Keys.FirstOrDefault(k => !regions.Contains(k));
        if (unknown is not null)
            throw new PlanException("vnetCidrs", $"names region '{unknown}', which is not in regions ({string.Join(", ", regions)})");
        var vnets = new Dictionary<string, Cidr>(StringComparer.Ordinal);
        foreach (var region in regions)
        {
            Cidr cidr;
            if (config.VnetCidrs.TryGetValue(region, out var text))
            {
                cidr = Cidr.Parse(text, "vnetCidrs");
                if (cidr.PrefixLength is < 8 or > 24)
                    throw new PlanException("vnetCidrs", $"'{text}' for {region}: use a prefix length from /8 to /24 (the nodes' subnet is its first /24)");
                if (!PrivateRanges.Any(p => p.Network <= cidr.Network && cidr.End <= p.End))
                    throw new PlanException("vnetCidrs", $"'{text}' for {region} is not a private range (10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16)");
            }
            else
            {
                cidr = VnetRanges.For(region)
                    ?? throw new PlanException("vnetCidrs", $"region {region} has no address range in the checked-in table (Infra/Plan/VnetRanges.cs): give it one, e.g. pulumi config set --path 'vnetCidrs.{region}' 10.200.0.0/16");
            }

            var overlap = vnets.FirstOrDefault(v => v.Value.Overlaps(cidr));
            if (overlap.Key is not null)
                throw new PlanException("vnetCidrs", $"the ranges of {overlap.Key} ({overlap.Value}) and {region} ({cidr}) overlap: peered VNets need disjoint ranges");
            vnets[region] = cidr;
        }

        return vnets;
    }

    private static readonly Cidr[] PrivateRanges =
        [Cidr.Parse("10.0.0.0/8", "-"), Cidr.Parse("172.16.0.0/12", "-"), Cidr.Parse("192.168.0.0/16", "-")];

    internal static List<string> CheckRegions(IReadOnlyList<string> regions)
    {
        var list = regions.Select(r => r.Trim()).ToList();
        foreach (var region in list)
        {
            if (!RegionPattern().IsMatch(region))
                throw new PlanException("regions", $"'{region}' is not an Azure region name: use the short lowercase form, such as eastus");
        }

        var twice = list.GroupBy(r => r).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
            throw new PlanException("regions", $"'{twice.Key}' is listed twice: each region holds one VNet, list it once and raise nodesPerRegion instead");
        if (list.Count < 3)
            throw new PlanException("regions", $"{list.Count} region(s) given ({string.Join(", ", list)}): a geo-redundant cluster needs at least 3, so that losing one region keeps a majority");
        return list;
    }

    internal static Dictionary<string, int> CheckNodeCounts(StackConfig config, List<string> regions)
    {
        if (config.NodesByRegion is { } byRegion)
        {
            var unknown = byRegion.Keys.FirstOrDefault(k => !regions.Contains(k));
            if (unknown is not null)
                throw new PlanException("nodesPerRegion", $"names region '{unknown}', which is not in regions ({string.Join(", ", regions)})");
        }

        var counts = regions.ToDictionary(r => r, r => config.NodesByRegion?.GetValueOrDefault(r, config.NodesPerRegion) ?? config.NodesPerRegion);
        foreach (var (region, n) in counts)
        {
            if (n is < 1 or > 50)
                throw new PlanException("nodesPerRegion", $"{n} node(s) in {region}: use 1 to 50 per region");
        }

        var total = counts.Values.Sum();
        var heavy = counts.FirstOrDefault(c => 2 * c.Value >= total);
        if (heavy.Key is not null)
            throw new PlanException("nodesPerRegion", $"{heavy.Key} holds {heavy.Value} of {total} nodes: a region with half the nodes or more takes the majority down with it; spread the nodes");
        if (total > MaxMembers)
            throw new PlanException(config.Regions.Count > MaxMembers ? "regions" : "nodesPerRegion",
                $"{total} nodes in {regions.Count} regions: the service takes at most {MaxMembers} members, so the nodes would never start");
        return counts;
    }

    private static void CheckAdminUsername(string name)
    {
        if (!AdminPattern().IsMatch(name))
            throw new PlanException("adminUsername", $"'{name}' is not a Linux user name: 1-32 lowercase letters, digits, '-' or '_', starting with a letter");
        if (name is "geoledger" or "root" or "admin" or "administrator")
            throw new PlanException("adminUsername", $"'{name}' is reserved (by Azure or by the service's own user): pick another login");
    }

    private static void CheckSshKey(string? key)
    {
        if (string.IsNullOrWhiteSpace(key))
            throw new PlanException("sshPublicKey", "no SSH public key: password login is off, so set one with pulumi config set sshPublicKey \"$(cat ~/.ssh/id_ed25519.pub)\"");
        var parts = key.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2 || !SshKeyType().IsMatch(parts[0]) || !Convert.TryFromBase64String(parts[1], new byte[parts[1].Length], out _))
            throw new PlanException("sshPublicKey", "is not an OpenSSH public key (ssh-ed25519 AAAA... or ssh-rsa AAAA...)");
    }

    private static string CheckSecret(string setting, string? value, int minLength)
    {
        if (string.IsNullOrEmpty(value))
            throw new PlanException(setting, $"is required: pulumi config set --secret {setting} \"$(openssl rand -hex 32)\"");
        if (value.Length < minLength)
            throw new PlanException(setting, $"is {value.Length} characters long: use at least {minLength}");
        CheckEnvValue(setting, value);
        return value;
    }

    // The env file is a systemd EnvironmentFile: keep values free of anything it would interpret.
    private static void CheckEnvValue(string setting, string value)
    {
        if (value.Any(c => c is < '!' or > '~' or '"' or '\'' or '\\' or '$' or '`'))
            throw new PlanException(setting, "may hold printable ASCII without spaces, quotes, '\\', '$' or '`'");
    }

    private static TlsMode CheckTls(StackConfig config)
    {
        var mode = config.Tls?.Trim().ToLowerInvariant() switch
        {
            null or "" => string.IsNullOrEmpty(config.TlsPfx) ? TlsMode.Acme : TlsMode.Pfx,
            "acme" => TlsMode.Acme,
            "off" => TlsMode.Off,
            "pfx" => TlsMode.Pfx,
            _ => throw new PlanException("tls", $"'{config.Tls}' is not a TLS mode: use acme (default), pfx (with tlsPfx) or off"),
        };
        if (mode != TlsMode.Pfx)
        {
            if (!string.IsNullOrEmpty(config.TlsPfx))
                throw new PlanException("tlsPfx", $"is set but tls is {config.Tls}: remove one of them");
            if (!string.IsNullOrEmpty(config.TlsPfxPassword))
                throw new PlanException("tlsPfxPassword", "is set but tlsPfx is not");
        }

        if (mode == TlsMode.Acme)
        {
            if (!Uri.TryCreate(config.AcmeServer, UriKind.Absolute, out var server) || server.Scheme != Uri.UriSchemeHttps || config.AcmeServer.Any(c => c is '\'' or ' ' or '"'))
                throw new PlanException("acmeServer", $"'{config.AcmeServer}' is not an https ACME directory URL such as {StackConfig.LetsEncrypt}");
            if (!string.IsNullOrEmpty(config.AcmeEmail) && !EmailPattern().IsMatch(config.AcmeEmail))
                throw new PlanException("acmeEmail", $"'{config.AcmeEmail}' is not an e-mail address");
        }

        if (mode != TlsMode.Pfx)
            return mode;
        if (string.IsNullOrEmpty(config.TlsPfx))
            throw new PlanException("tlsPfx", "is required with tls: pfx: pulumi config set --secret tlsPfx \"$(base64 -w0 node.pfx)\"");
        if (!string.IsNullOrEmpty(config.TlsPfxPassword))
            CheckEnvValue("tlsPfxPassword", config.TlsPfxPassword);
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(config.TlsPfx);
        }
        catch (FormatException)
        {
            throw new PlanException("tlsPfx", "is not base64: pulumi config set --secret tlsPfx \"$(base64 -w0 node.pfx)\"");
        }

        try
        {
            using var cert = X509CertificateLoader.LoadPkcs12(bytes, config.TlsPfxPassword);
            if (!cert.HasPrivateKey)
                throw new PlanException("tlsPfx", "holds no private key");
        }
        catch (CryptographicException e)
        {
            throw new PlanException("tlsPfx", $"cannot be opened as PKCS#12 with tlsPfxPassword: {e.Message}");
        }

        return mode;
    }

    /// <summary>Without TLS, at most this many client addresses (one /8): more is the internet reading tokens in clear.</summary>
    public const ulong MaxPlainHttpClients = 1UL << 24;

    private static List<string> CheckCidrs(StackConfig config, bool tls, List<Cidr> vnets)
    {
        // SSH first: its rule exists whatever the API's sources are.
        if (config.AdminCidr is not null)
        {
            var admin = Cidr.Parse(config.AdminCidr, "adminCidr");
            if (admin.PrefixLength < 8)
                throw new PlanException("adminCidr", $"'{config.AdminCidr}' opens SSH to a large part of the internet: name your own range (x.x.x.x/32)");
            CheckOutsideVnets("adminCidr", config.AdminCidr, admin, vnets);
        }

        var clients = config.ClientCidrs.Select(c => (Text: c.Trim(), Cidr: Cidr.Parse(c, "clientCidrs"))).ToList();
        if (!tls && clients.Count == 0)
            throw new PlanException("clientCidrs", "is required with tls off: tokens would cross the internet unencrypted, so name who may reach the API (your address as x.x.x.x/32)");
        if (clients.Any(c => c.Cidr.PrefixLength == 0))
        {
            if (!tls)
                throw new PlanException("clientCidrs", "opens the plain-http API to the whole internet: use tls acme (the default) or name narrower ranges");
            if (clients.Count > 1)
                throw new PlanException("clientCidrs", "0.0.0.0/0 already holds every other range: list it alone");
            return ["Internet"];
        }

        for (var i = 0; i < clients.Count; i++)
        {
            for (var j = i + 1; j < clients.Count; j++)
            {
                if (clients[i].Cidr.Overlaps(clients[j].Cidr))
                    throw new PlanException("clientCidrs", $"'{clients[i].Text}' and '{clients[j].Text}' overlap: list each range once");
            }

            CheckOutsideVnets("clientCidrs", clients[i].Text, clients[i].Cidr, vnets);
        }

        // The ranges are disjoint, so their sizes add up to the addresses they let in.
        var total = clients.Aggregate(0UL, (sum, c) => sum + (c.Cidr.End - c.Cidr.Network));
        if (!tls && total > MaxPlainHttpClients)
            throw new PlanException("clientCidrs", $"lets {total} addresses reach the plain-http API (more than a /8): that is the internet reading tokens in clear; use tls acme (the default) or name narrower ranges");

        return clients.Count == 0 ? ["Internet"] : clients.Select(c => c.Cidr.ToString()).ToList();
    }

    private static void CheckOutsideVnets(string setting, string text, Cidr cidr, List<Cidr> vnets)
    {
        var overlap = vnets.FirstOrDefault(v => v.Overlaps(cidr));
        if (overlap != default)
            throw new PlanException(setting, $"'{text}' overlaps the cluster's private range {overlap}: name public addresses");
    }

    /// <summary>
    /// Region → node priority from <c>leaderRegions</c>: the first of n regions gets n, the last 1, regions not named 0
    /// (a leader hands leadership to a caught-up member of higher priority).
    /// </summary>
    /// <exception cref="PlanException">A region named is not a stack region, or is named twice.</exception>
    public static IReadOnlyDictionary<string, int> LeaderPriorities(IReadOnlyList<string> leaderRegions, IReadOnlyList<string> regions)
    {
        var priorities = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < leaderRegions.Count; i++)
        {
            var region = leaderRegions[i]?.Trim() ?? "";
            if (!regions.Contains(region, StringComparer.Ordinal))
                throw new PlanException("leaderRegions", $"'{region}' is not one of the stack's regions ({string.Join(", ", regions)}): list regions of the cluster, most preferred first");
            if (!priorities.TryAdd(region, leaderRegions.Count - i))
                throw new PlanException("leaderRegions", $"'{region}' is listed twice: list each region once, most preferred first");
        }

        return priorities;
    }

    private static HashSet<string> CheckUpgradeNodes(IReadOnlyList<string> upgradeNodes, List<NodePlan> members)
    {
        var ids = members.Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var node in upgradeNodes)
        {
            if (!ids.Contains(node))
                throw new PlanException("upgradeNodes", $"'{node}' is not a node of this stack ({string.Join(", ", ids)})");
        }

        var upgrades = upgradeNodes.ToHashSet(StringComparer.Ordinal);
        var minority = (members.Count - 1) / 2;
        if (upgrades.Count > minority)
            throw new PlanException("upgradeNodes", $"names {upgrades.Count} of {members.Count} nodes: replacing more than {minority} at once stops the cluster's majority; upgrade at most {minority} per pulumi up (docs/deploy-azure.md has the rolling loop)");
        return upgrades;
    }

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    [GeneratedRegex("^[a-z][a-z0-9]{1,40}$")]
    private static partial Regex RegionPattern();

    [GeneratedRegex("^[a-z_][a-z0-9_-]{0,31}$")]
    private static partial Regex AdminPattern();

    [GeneratedRegex("^(ssh-(ed25519|rsa)|ecdsa-sha2-nistp(256|384|521))$")]
    private static partial Regex SshKeyType();

    [GeneratedRegex("^[A-Za-z0-9_]{2,64}$")]
    private static partial Regex VmSizePattern();

    [GeneratedRegex(@"^[0-9]{1,9}\.[0-9]{1,9}\.[0-9]{1,9}$")]
    private static partial Regex VersionPattern();

    [GeneratedRegex(@"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}$")]
    private static partial Regex EmailPattern();
}
