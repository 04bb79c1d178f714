namespace GeoLedger.Infra.Plan;

/// <summary>
/// What the two image identities may do (learn.microsoft.com/azure/virtual-machines/linux/image-builder-permissions-cli):
/// Image Builder's own identity only writes image versions in the image group and assigns the build
/// VM its identity; the build VM's identity only reads blobs of the archive's container.
/// </summary>
public static class ImageRoles
{
    /// <summary>Managed Identity Operator (built in): assign one identity, here the build VM's, and nothing else.</summary>
    public const string ManagedIdentityOperator = "f1a07417-d97a-45cb-824c-7a7467783830";

    /// <summary>Storage Blob Data Reader (built in), scoped to the archive's container.</summary>
    public const string StorageBlobDataReader = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1";

    /// <summary>The custom role's actions: Microsoft's documented set for distributing to a gallery.</summary>
    public static IReadOnlyList<string> BuilderActions { get; } =
    [
        "Microsoft.Compute/galleries/read",
        "Microsoft.Compute/galleries/images/read",
        "Microsoft.Compute/galleries/images/versions/read",
        "Microsoft.Compute/galleries/images/versions/write",
        "Microsoft.Compute/images/write",
        "Microsoft.Compute/images/read",
        "Microsoft.Compute/images/delete",
    ];

    /// <summary>The id of a built-in role definition.</summary>
    public static string BuiltIn(string subscriptionId, string guid) =>
        $"/subscriptions/{subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/{guid}";
}
