using System.Globalization;
using System.Text;
using GeoLedger.Infra.Plan;
using Pulumi;
using Compute = Pulumi.AzureNative.Compute;
using Network = Pulumi.AzureNative.Network;
using Resources = Pulumi.AzureNative.Resources;

namespace GeoLedger.Infra.Stack;

/// <summary>
/// One region of the plan: resource group, VNet and subnet, NSG, and per node a Standard static
/// public IP with its DNS label, a NIC with the static private IP, a protected data disk and the
/// Trusted Launch Linux VM (Secure Boot, vTPM, boot diagnostics) booting the node's gallery image
/// version with its cloud-init as custom data.
/// </summary>
internal sealed class RegionCluster : ComponentResource
{
    /// <summary>The region's VNet.</summary>
    public Network.VirtualNetwork Vnet { get; }

    /// <summary>The nodes' subnet.</summary>
    public Network.Subnet Subnet { get; }

    /// <summary>The VMs by node id.</summary>
    public IReadOnlyDictionary<string, Compute.VirtualMachine> Vms { get; }

    /// <summary>The VMs' custom data (base64 cloud-init) by node id: secret, since it carries the tokens.</summary>
    public IReadOnlyDictionary<string, Output<string>> CustomData { get; }

    /// <summary>Each node's public URL by node id.</summary>
    public IReadOnlyDictionary<string, string> PublicUrls { get; }

    /// <summary>Each node's membership step (a Run Command on its VM) by node id: done once it is a member.</summary>
    public IReadOnlyDictionary<string, Compute.VirtualMachineRunCommandByVirtualMachine> MemberSteps { get; }

    /// <summary>Creates the region.</summary>
    /// <param name="plan">The cluster plan.</param>
    /// <param name="region">This region's part of it.</param>
    /// <param name="currentVersionId">The current image's version id, known once its build succeeded; nodes on an older version use the plan's id.</param>
    /// <param name="gates">
    /// Node id → the step its resources wait for: a joining node's VM waits for the joiner before it to be a voter;
    /// a leaving node's data disk (whose protection ends) waits for its leave step.
    /// </param>
    /// <param name="options">Pulumi options of the component.</param>
    public RegionCluster(ClusterPlan plan, RegionPlan region, Output<string> currentVersionId, IReadOnlyDictionary<string, Task<Resource>>? gates = null, ComponentResourceOptions? options = null)
        : base("geoledger:infra:RegionCluster", region.Region, options)
    {
        var child = new CustomResourceOptions { Parent = this };
        var name = region.Region;

        var group = new Resources.ResourceGroup($"{name}-rg", new()
        {
            ResourceGroupName = region.ResourceGroupName,
            Location = name,
        }, child);

        var nsg = new Network.NetworkSecurityGroup($"{name}-nsg", new()
        {
            NetworkSecurityGroupName = region.NsgName,
            ResourceGroupName = group.Name,
            Location = name,
            SecurityRules = region.NsgRules.Select(Rule).ToArray(),
        }, child);

        Vnet = new Network.VirtualNetwork($"{name}-vnet", new()
        {
            VirtualNetworkName = region.VnetName,
            ResourceGroupName = group.Name,
            Location = name,
            AddressSpace = new Network.Inputs.AddressSpaceArgs { AddressPrefixes = { region.VnetCidr } },
        }, child);

        Subnet = new Network.Subnet($"{name}-subnet", new()
        {
            SubnetName = region.SubnetName,
            ResourceGroupName = group.Name,
            VirtualNetworkName = Vnet.Name,
            AddressPrefix = region.SubnetCidr,
            NetworkSecurityGroup = new Network.Inputs.NetworkSecurityGroupArgs { Id = nsg.Id },
        }, child);

        var vms = new Dictionary<string, Compute.VirtualMachine>();
        var customData = new Dictionary<string, Output<string>>();
        var steps = new Dictionary<string, Compute.VirtualMachineRunCommandByVirtualMachine>();
        gates ??= new Dictionary<string, Task<Resource>>();
        foreach (var node in region.Nodes)
        {
            var gate = gates.TryGetValue(node.Id, out var waitFor) ? waitFor : null;
            var ip = new Network.PublicIPAddress($"{node.Id}-pip", new()
            {
                PublicIpAddressName = node.PublicIpName,
                ResourceGroupName = group.Name,
                Location = name,
                Sku = new Network.Inputs.PublicIPAddressSkuArgs
                {
                    Name = Network.PublicIPAddressSkuName.Standard,
                    Tier = Network.PublicIPAddressSkuTier.Regional,
                },
                PublicIPAllocationMethod = Network.IPAllocationMethod.Static,
                PublicIPAddressVersion = Network.IPVersion.IPv4,
                DnsSettings = new Network.Inputs.PublicIPAddressDnsSettingsArgs { DomainNameLabel = node.DnsLabel },
            }, child);

            var nic = new Network.NetworkInterface($"{node.Id}-nic", new()
            {
                NetworkInterfaceName = node.NicName,
                ResourceGroupName = group.Name,
                Location = name,
                IpConfigurations =
                {
                    new Network.Inputs.NetworkInterfaceIPConfigurationArgs
                    {
                        Name = "ipconfig",
                        Primary = true,
                        Subnet = new Network.Inputs.SubnetArgs { Id = Subnet.Id },
                        PublicIPAddress = new Network.Inputs.PublicIPAddressArgs { Id = ip.Id },
                        PrivateIPAllocationMethod = Network.IPAllocationMethod.Static,
                        PrivateIPAddress = node.PrivateIp,
                    },
                },
            }, child);

            var disk = new Compute.Disk($"{node.Id}-data", new()
            {
                DiskName = node.DataDiskName,
                ResourceGroupName = group.Name,
                Location = name,
                DiskSizeGB = plan.Config.DataDiskSizeGb,
                Sku = new Compute.Inputs.DiskSkuArgs { Name = Compute.DiskStorageAccountTypes.StandardSSD_LRS },
                CreationData = new Compute.Inputs.CreationDataArgs { CreateOption = Compute.DiskCreateOption.Empty },
            }, DiskOptions(this, node, gate));

            var data = Output.CreateSecret(Convert.ToBase64String(Encoding.UTF8.GetBytes(node.CloudInit)));
            customData[node.Id] = data;

            // A leaving node without a VM is not given one back.
            if (node.Leaving && node.TakesCurrentImage)
                continue;

            var vm = vms[node.Id] = new Compute.VirtualMachine($"{node.Id}-vm", new()
            {
                VmName = node.VmName,
                ResourceGroupName = group.Name,
                Location = name,
                HardwareProfile = new Compute.Inputs.HardwareProfileArgs { VmSize = plan.Config.VmSize },
                NetworkProfile = new Compute.Inputs.NetworkProfileArgs
                {
                    NetworkInterfaces =
                    {
                        new Compute.Inputs.NetworkInterfaceReferenceArgs { Id = nic.Id, Primary = true },
                    },
                },
                OsProfile = new Compute.Inputs.OSProfileArgs
                {
                    ComputerName = node.ComputerName,
                    AdminUsername = plan.Config.AdminUsername,
                    CustomData = data,
                    LinuxConfiguration = new Compute.Inputs.LinuxConfigurationArgs
                    {
                        DisablePasswordAuthentication = true,
                        Ssh = new Compute.Inputs.SshConfigurationArgs
                        {
                            PublicKeys =
                            {
                                new Compute.Inputs.SshPublicKeyArgs
                                {
                                    Path = $"/home/{plan.Config.AdminUsername}/.ssh/authorized_keys",
                                    KeyData = plan.Config.SshPublicKey!.Trim(),
                                },
                            },
                        },
                    },
                },
                SecurityProfile = new Compute.Inputs.SecurityProfileArgs
                {
                    SecurityType = Compute.SecurityTypes.TrustedLaunch,
                    UefiSettings = new Compute.Inputs.UefiSettingsArgs { SecureBootEnabled = true, VTpmEnabled = true },
                },
                // Managed boot diagnostics: the serial log and a screenshot when a node does not come up.
                DiagnosticsProfile = new Compute.Inputs.DiagnosticsProfileArgs
                {
                    BootDiagnostics = new Compute.Inputs.BootDiagnosticsArgs { Enabled = true },
                },
                StorageProfile = new Compute.Inputs.StorageProfileArgs
                {
                    ImageReference = new Compute.Inputs.ImageReferenceArgs
                    {
                        Id = node.ImageVersion == plan.Image.CurrentVersion ? currentVersionId : Output.Create(node.ImageVersionId),
                    },
                    OsDisk = new Compute.Inputs.OSDiskArgs
                    {
                        CreateOption = Compute.DiskCreateOptionTypes.FromImage,
                        DeleteOption = Compute.DiskDeleteOptionTypes.Delete,
                        ManagedDisk = new Compute.Inputs.ManagedDiskParametersArgs { StorageAccountType = "StandardSSD_LRS" },
                    },
                    DataDisks =
                    {
                        new Compute.Inputs.DataDiskArgs
                        {
                            Lun = 0,
                            CreateOption = Compute.DiskCreateOptionTypes.Attach,
                            DeleteOption = Compute.DiskDeleteOptionTypes.Detach,
                            ManagedDisk = new Compute.Inputs.ManagedDiskParametersArgs { Id = disk.Id },
                        },
                    },
                },
            }, VmOptions(this, node, node.Leaving ? null : gate));

            steps[node.Id] = new Compute.VirtualMachineRunCommandByVirtualMachine($"{node.Id}-member", new()
            {
                RunCommandName = "geoledger-member",
                VmName = vm.Name,
                ResourceGroupName = group.Name,
                Location = name,
                Source = new Compute.Inputs.VirtualMachineRunCommandScriptSourceArgs { Script = Plan.MemberSteps.Member() },
                AsyncExecution = false,
                TimeoutInSeconds = Plan.MemberSteps.TimeoutSeconds,
                TreatFailureAsDeploymentFailure = true,
            }, new CustomResourceOptions { Parent = this });
        }

        Vms = vms;
        CustomData = customData;
        MemberSteps = steps;
        PublicUrls = region.Nodes.ToDictionary(n => n.Id, n => n.PublicUrl.AbsoluteUri);
        RegisterOutputs(new Dictionary<string, object?>
        {
            ["vnetId"] = Vnet.Id,
            ["publicUrls"] = PublicUrls,
        });
    }

    // A new image or new cloud-init can only reach a VM by replacing it: delete first (same name,
    // same NIC, same data disk), and only for the nodes this update upgrades; the others ignore it.
    // Custom data is read once, at creation: a running node keeps the member list it was born with
    // (its data disk holds the real one), so a changed member list never touches its VM.
    internal static CustomResourceOptions VmOptions(Resource? parent, NodePlan node, Task<Resource>? gate = null)
    {
        var options = new CustomResourceOptions
        {
            Parent = parent,
            DeleteBeforeReplace = true,
            ReplaceOnChanges = { "storageProfile.imageReference", "osProfile.customData" },
            // securityProfile too: a VM made before Trusted Launch cannot change it in place.
            IgnoreChanges = node.TakesCurrentImage ? [] : ["osProfile.customData", "securityProfile"],
        };
        if (gate is not null)
            options.DependsOn.Add(Output.Create(gate));
        return options;
    }

    // The node's state: protected, so neither a replacement nor a destroy can take it; a leaving
    // node's disk loses its protection only once its leave step succeeded, so the next update may delete it.
    internal static CustomResourceOptions DiskOptions(Resource? parent, NodePlan node, Task<Resource>? gate)
    {
        var options = new CustomResourceOptions { Parent = parent, Protect = !node.Leaving };
        if (node.Leaving && gate is not null)
            options.DependsOn.Add(Output.Create(gate));
        return options;
    }

    private static Network.Inputs.SecurityRuleArgs Rule(NsgRule rule)
    {
        var args = new Network.Inputs.SecurityRuleArgs
        {
            Name = rule.Name,
            Priority = rule.Priority,
            Direction = Network.SecurityRuleDirection.Inbound,
            Access = Network.SecurityRuleAccess.Allow,
            Protocol = rule.Protocol == NsgProtocol.Udp ? Network.SecurityRuleProtocol.Udp : Network.SecurityRuleProtocol.Tcp,
            SourcePortRange = "*",
            DestinationAddressPrefix = "*",
            DestinationPortRange = rule.Port.ToString(CultureInfo.InvariantCulture),
        };
        if (rule.Sources.Count == 1)
            args.SourceAddressPrefix = rule.Sources[0];
        else
            args.SourceAddressPrefixes = rule.Sources.ToArray();
        return args;
    }
}
