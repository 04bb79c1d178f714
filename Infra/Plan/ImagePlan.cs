namespace GeoLedger.Infra.Plan;

/// <summary>The image pipeline: archive blob, Image Builder template, managed image and gallery versions.</summary>
public sealed record ImagePlan
{
    /// <summary>Region of the image resource group, storage, gallery and build (the first cluster region).</summary>
    public required string Location { get; init; }

    /// <summary>Resource group holding the image pipeline (and, until destroy, the managed images it made).</summary>
    public required string ResourceGroupName { get; init; }

    /// <summary>User-assigned identity Image Builder runs as (and its build VM downloads with).</summary>
    public required string IdentityName { get; init; }

    /// <summary>Private storage account for the service archive.</summary>
    public required string StorageAccountName { get; init; }

    /// <summary>Private container of the archive.</summary>
    public required string ContainerName { get; init; }

    /// <summary>The archive blob (named after the content hash).</summary>
    public required string BlobName { get; init; }

    /// <summary>The archive's URL (private: read with the identity's token).</summary>
    public required Uri BlobUrl { get; init; }

    /// <summary>Shared image gallery (no '-' allowed).</summary>
    public required string GalleryName { get; init; }

    /// <summary>Image definition in the gallery.</summary>
    public required string GalleryImageName { get; init; }

    /// <summary>Image Builder template, named after the content hash (templates cannot be updated in place).</summary>
    public required string TemplateName { get; init; }

    /// <summary>Content hash of the published service.</summary>
    public required string ContentHash { get; init; }

    /// <summary>Gallery version <c>x.y.z</c> built from <see cref="ContentHash"/>.</summary>
    public required string CurrentVersion { get; init; }

    /// <summary>Older versions some node still runs: their gallery versions stay.</summary>
    public required IReadOnlyList<string> RetainedVersions { get; init; }

    /// <summary>Subscription of the managed images' ids.</summary>
    public required string SubscriptionId { get; init; }

    /// <summary>Every version the stack declares: the current one first.</summary>
    public IEnumerable<string> AllVersions => RetainedVersions.Prepend(CurrentVersion);

    /// <summary>Name of the managed image Image Builder distributes for a version.</summary>
    public static string ManagedImageName(string version) => "geoledger-" + version.Replace('.', '-');

    /// <summary>Id of the managed image of a version: chosen here, so it is known before the build.</summary>
    public string ManagedImageId(string version) =>
        $"/subscriptions/{SubscriptionId}/resourceGroups/{ResourceGroupName}/providers/Microsoft.Compute/images/{ManagedImageName(version)}";
}
