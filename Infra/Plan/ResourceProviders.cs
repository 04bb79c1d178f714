namespace GeoLedger.Infra.Plan;

/// <summary>
/// The Azure resource providers a subscription must have registered before the first
/// <c>pulumi up</c> (docs/deploy-azure.md registers them). Image Builder runs its build in Azure
/// Container Instances, and its tutorial registers Key Vault as well.
/// </summary>
public static class ResourceProviders
{
    /// <summary>Every provider namespace, in the order the guide registers them.</summary>
    public static IReadOnlyList<string> Required { get; } =
    [
        "Microsoft.VirtualMachineImages",
        "Microsoft.Compute",
        "Microsoft.Network",
        "Microsoft.Storage",
        "Microsoft.ManagedIdentity",
        "Microsoft.ContainerInstance",
        "Microsoft.KeyVault",
    ];
}
