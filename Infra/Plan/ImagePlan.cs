namespace GeoLedger.Infra.Plan;

/// <summary>
/// The image pipeline: archive blob, two identities and their roles, the Image Builder template
/// (named after a hash of its whole specification) and the gallery image version it distributes.
/// </summary>
public sealed record ImagePlan
{
    /// <summary>Region of the image resource group, storage, gallery and build (<c>imageLocation</c>).</summary>
    public required string Location { get; init; }

    /// <summary>Resource group holding the image pipeline and the gallery.</summary>
    public required string ResourceGroupName { get; init; }

    /// <summary>User-assigned identity Image Builder runs as: it may only write image versions and hand the build VM its identity.</summary>
    public required string BuilderIdentityName { get; init; }

    /// <summary>User-assigned identity of the build VM: it may only read the archive's container.</summary>
    public required string BuildVmIdentityName { get; init; }

    /// <summary>Name of the custom role with only the image actions (<see cref="ImageRoles.BuilderActions"/>).</summary>
    public required string BuilderRoleName { get; init; }

    /// <summary>The custom role's definition GUID: fixed per subscription and stack, so an update never makes a second one.</summary>
    public required string BuilderRoleGuid { get; init; }

    /// <summary>Private storage account for the service archive.</summary>
    public required string StorageAccountName { get; init; }

    /// <summary>Private container of the archive.</summary>
    public required string ContainerName { get; init; }

    /// <summary>The archive blob (named after the content hash).</summary>
    public required string BlobName { get; init; }

    /// <summary>The archive's URL (private: read with the build VM identity's token).</summary>
    public required Uri BlobUrl { get; init; }

    /// <summary>Azure Compute Gallery (no '-' allowed).</summary>
    public required string GalleryName { get; init; }

    /// <summary>Image definition in the gallery (<c>TrustedLaunchSupported</c>, Gen2).</summary>
    public required string GalleryImageName { get; init; }

    /// <summary>Image Builder template, named after <see cref="SpecHash"/>: templates cannot change, so any change makes a new one.</summary>
    public required string TemplateName { get; init; }

    /// <summary>Content hash of the published service.</summary>
    public required string ContentHash { get; init; }

    /// <summary>Hash of everything the template says (<see cref="ImageSpec"/>).</summary>
    public required string SpecHash { get; init; }

    /// <summary>Gallery version <c>x.y.z</c> this template distributes, from <see cref="SpecHash"/>.</summary>
    public required string CurrentVersion { get; init; }

    /// <summary>Regions the version is replicated to: every cluster region and the image location.</summary>
    public required IReadOnlyList<string> ReplicationRegions { get; init; }

    /// <summary>The script the build VM runs (<see cref="ImageScript.Install"/>).</summary>
    public required string InstallScript { get; init; }

    /// <summary>Subscription of every id below.</summary>
    public required string SubscriptionId { get; init; }

    /// <summary>Size of the temporary build VM.</summary>
    public string BuildVmSize => "Standard_D2ds_v4";

    /// <summary>Minutes Image Builder allows the build.</summary>
    public int BuildTimeoutMinutes => 60;

    /// <summary>Id of the image resource group.</summary>
    public string ResourceGroupId => $"/subscriptions/{SubscriptionId}/resourceGroups/{ResourceGroupName}";

    /// <summary>Id of the build VM's identity: known in advance, so the install script names it.</summary>
    public string BuildVmIdentityId => $"{ResourceGroupId}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{BuildVmIdentityName}";

    /// <summary>Id of the gallery image definition.</summary>
    public string GalleryImageId => $"{ResourceGroupId}/providers/Microsoft.Compute/galleries/{GalleryName}/images/{GalleryImageName}";

    /// <summary>Id of a gallery image version: what a VM of that version boots from.</summary>
    public string VersionId(string version) => $"{GalleryImageId}/versions/{version}";
}
