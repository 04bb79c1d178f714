namespace GeoLedger.Infra.Plan;

/// <summary>One node: its names, addresses, image and cloud-init.</summary>
public sealed record NodePlan
{
    /// <summary>Member id, e.g. <c>eastus-0</c>.</summary>
    public required string Id { get; init; }

    /// <summary>Azure region.</summary>
    public required string Region { get; init; }

    /// <summary>Index of the node within its region.</summary>
    public required int Index { get; init; }

    /// <summary>Static private IP on the region's subnet.</summary>
    public required string PrivateIp { get; init; }

    /// <summary>The public IP's DNS label (unique per region: it carries the subscription/stack hash).</summary>
    public required string DnsLabel { get; init; }

    /// <summary><c>{label}.{region}.cloudapp.azure.com</c>.</summary>
    public required string Fqdn { get; init; }

    /// <summary>The URL clients use (http on 80 or https on 443).</summary>
    public required Uri PublicUrl { get; init; }

    /// <summary>The private Raft endpoint, <c>http://{PrivateIp}:3262/</c>.</summary>
    public required Uri RaftUrl { get; init; }

    /// <summary>VM resource name.</summary>
    public required string VmName { get; init; }

    /// <summary>Host name inside the VM.</summary>
    public required string ComputerName { get; init; }

    /// <summary>NIC name.</summary>
    public required string NicName { get; init; }

    /// <summary>Public IP name.</summary>
    public required string PublicIpName { get; init; }

    /// <summary>Data disk name.</summary>
    public required string DataDiskName { get; init; }

    /// <summary>Gallery image version (<c>x.y.z</c>) this node runs after this <c>pulumi up</c>.</summary>
    public required string ImageVersion { get; init; }

    /// <summary>The id of <see cref="ImageVersion"/> in the gallery: what the VM boots from.</summary>
    public required string ImageVersionId { get; init; }

    /// <summary>True when this node takes the current image in this update (new, or named in <c>upgradeNodes</c>).</summary>
    public required bool TakesCurrentImage { get; init; }

    /// <summary>Leader preference in every node config (<c>priority</c>): from the region's place in <c>leaderRegions</c>; 0 outside it.</summary>
    public int Priority { get; init; }

    /// <summary><c>/etc/geoledger/node.json</c>.</summary>
    public required string NodeConfigJson { get; init; }

    /// <summary><c>/etc/geoledger/env</c> (holds secrets).</summary>
    public required string EnvFile { get; init; }

    /// <summary>The VM's cloud-init user data, <c>#cloud-config</c> YAML (holds secrets).</summary>
    public required string CloudInit { get; init; }

    /// <summary>True when the node config says <c>"join": true</c>: made after the cluster was founded, it joins as a learner.</summary>
    public bool Join { get; init; }

    /// <summary>True when the node leaves the cluster in this update (<c>leaveNodes</c>).</summary>
    public bool Leaving { get; init; }
}
