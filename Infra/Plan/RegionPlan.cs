namespace GeoLedger.Infra.Plan;

/// <summary>One region: its resource group, network, firewall and nodes.</summary>
/// <param name="Region">Azure region.</param>
/// <param name="ResourceGroupName">Resource group of everything in the region.</param>
/// <param name="VnetName">Virtual network name.</param>
/// <param name="VnetCidr">The VNet's address space (disjoint from every other region's).</param>
/// <param name="SubnetName">The nodes' subnet.</param>
/// <param name="SubnetCidr">The subnet's range.</param>
/// <param name="NsgName">Network security group on the subnet.</param>
/// <param name="NsgRules">Inbound allow rules.</param>
/// <param name="Nodes">The region's nodes.</param>
public sealed record RegionPlan(
    string Region,
    string ResourceGroupName,
    string VnetName,
    string VnetCidr,
    string SubnetName,
    string SubnetCidr,
    string NsgName,
    IReadOnlyList<NsgRule> NsgRules,
    IReadOnlyList<NodePlan> Nodes);
