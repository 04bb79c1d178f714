using System.Collections.Immutable;
using GeoLedger.Infra.Plan;
using Pulumi;
using Authorization = Pulumi.AzureNative.Authorization;
using Compute = Pulumi.AzureNative.Compute;
using ManagedIdentity = Pulumi.AzureNative.ManagedIdentity;
using Resources = Pulumi.AzureNative.Resources;
using Storage = Pulumi.AzureNative.Storage;
using Vmi = Pulumi.AzureNative.VirtualMachineImages;

namespace GeoLedger.Infra.Stack;

/// <summary>
/// The image pipeline of the plan: the service archive as a private blob, an identity with the
/// roles Azure Image Builder needs, the template (named after the content hash; AutoRun builds
/// it on creation), the image-ready step, and one gallery image version per version in use,
/// replicated to every cluster region.
/// </summary>
internal sealed class ImageBuild : ComponentResource
{
    // Built-in role definitions (learn.microsoft.com/azure/role-based-access-control/built-in-roles).
    private const string ContributorRole = "b24988ac-6180-42a0-ab88-20f7382dd24c";
    private const string ManagedIdentityOperatorRole = "f1a07417-d97a-45cb-824c-7a7467783830";
    private const string StorageBlobDataReaderRole = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1";

    /// <summary>Gallery image version id per version (<c>x.y.z</c>): what each VM boots from.</summary>
    public IReadOnlyDictionary<string, Output<string>> VersionIds { get; }

    /// <summary>The gallery image version resources, by version.</summary>
    public IReadOnlyDictionary<string, Compute.GalleryImageVersion> Versions { get; }

    /// <summary>Creates the pipeline.</summary>
    /// <param name="plan">The cluster plan.</param>
    /// <param name="archivePath">The tar.gz that <c>Infra/publish.sh</c> wrote next to the publish folder.</param>
    /// <param name="archiveSha256">Its SHA-256, checked on the build VM.</param>
    /// <param name="options">Pulumi options of the component.</param>
    public ImageBuild(ClusterPlan plan, string archivePath, string archiveSha256, ComponentResourceOptions? options = null)
        : base("geoledger:infra:ImageBuild", "image", options)
    {
        var image = plan.Image;
        var child = new CustomResourceOptions { Parent = this };
        var subscription = $"/subscriptions/{image.SubscriptionId}";

        var group = new Resources.ResourceGroup("image-rg", new()
        {
            ResourceGroupName = image.ResourceGroupName,
            Location = image.Location,
        }, child);

        var identity = new ManagedIdentity.UserAssignedIdentity("image-identity", new()
        {
            ResourceName = image.IdentityName,
            ResourceGroupName = group.Name,
            Location = image.Location,
        }, child);

        var account = new Storage.StorageAccount("image-storage", new()
        {
            AccountName = image.StorageAccountName,
            ResourceGroupName = group.Name,
            Location = image.Location,
            Kind = Storage.Kind.StorageV2,
            Sku = new Storage.Inputs.SkuArgs { Name = Storage.SkuName.Standard_LRS },
            AllowBlobPublicAccess = false,
            EnableHttpsTrafficOnly = true,
            MinimumTlsVersion = Storage.MinimumTlsVersion.TLS1_2,
        }, child);

        var container = new Storage.BlobContainer("image-container", new()
        {
            AccountName = account.Name,
            ResourceGroupName = group.Name,
            ContainerName = image.ContainerName,
            PublicAccess = Storage.PublicAccess.None,
        }, child);

        var blob = new Storage.Blob("service-archive", new()
        {
            AccountName = account.Name,
            ResourceGroupName = group.Name,
            ContainerName = container.Name,
            BlobName = image.BlobName,
            Type = Storage.BlobType.Block,
            ContentType = "application/gzip",
            Source = new FileAsset(archivePath),
        }, child);

        Authorization.RoleAssignment Role(string name, string role, Input<string> scope) =>
            new(name, new()
            {
                PrincipalId = identity.PrincipalId,
                PrincipalType = Authorization.PrincipalType.ServicePrincipal,
                RoleDefinitionId = $"{subscription}/providers/Microsoft.Authorization/roleDefinitions/{role}",
                Scope = scope,
            }, child);

        // Write the managed image into the image group; hand the identity to the build VM; read the archive.
        var roles = new Resource[]
        {
            Role("image-builder-contributor", ContributorRole, group.Id),
            Role("image-builder-identity-operator", ManagedIdentityOperatorRole, identity.Id),
            Role("image-builder-blob-reader", StorageBlobDataReaderRole, account.Id),
        };

        var gallery = new Compute.Gallery("gallery", new()
        {
            GalleryName = image.GalleryName,
            ResourceGroupName = group.Name,
            Location = image.Location,
            Description = "GeoLedger node images",
        }, child);

        var definition = new Compute.GalleryImage("gallery-image", new()
        {
            GalleryName = gallery.Name,
            GalleryImageName = image.GalleryImageName,
            ResourceGroupName = group.Name,
            Location = image.Location,
            OsType = Compute.OperatingSystemTypes.Linux,
            OsState = Compute.OperatingSystemStateTypes.Generalized,
            HyperVGeneration = Compute.HyperVGeneration.V2,
            Identifier = new Compute.Inputs.GalleryImageIdentifierArgs
            {
                Publisher = "GeoLedger",
                Offer = "geoledger",
                Sku = "ubuntu-24_04-lts-server-gen2",
            },
        }, child);

        var installScript = identity.ClientId.Apply(clientId =>
            ImageScript.Inline(ImageScript.Install(image.BlobUrl, archiveSha256, clientId)).ToImmutableArray());

        var template = new Vmi.VirtualMachineImageTemplate("image-template", new()
        {
            ImageTemplateName = image.TemplateName,
            ResourceGroupName = group.Name,
            Location = image.Location,
            Identity = new Vmi.Inputs.ImageTemplateIdentityArgs
            {
                Type = Vmi.ResourceIdentityType.UserAssigned,
                UserAssignedIdentities = { identity.Id },
            },
            Source = new Vmi.Inputs.ImageTemplatePlatformImageSourceArgs
            {
                Type = "PlatformImage",
                Publisher = "Canonical",
                Offer = "ubuntu-24_04-lts",
                Sku = "server",
                Version = "latest",
            },
            Customize = new object[]
            {
                new Vmi.Inputs.ImageTemplateShellCustomizerArgs
                {
                    Type = "Shell",
                    Name = "install-geoledger",
                    Inline = installScript,
                },
            },
            Distribute = new object[]
            {
                new Vmi.Inputs.ImageTemplateManagedImageDistributorArgs
                {
                    Type = "ManagedImage",
                    ImageId = image.ManagedImageId(image.CurrentVersion),
                    Location = image.Location,
                    RunOutputName = "managed-image",
                },
            },
            VmProfile = new Vmi.Inputs.ImageTemplateVmProfileArgs
            {
                VmSize = "Standard_D2ds_v4",
                UserAssignedIdentities = { identity.Id },
            },
            BuildTimeoutInMinutes = 60,
            AutoRun = new Vmi.Inputs.ImageTemplateAutoRunArgs { State = Vmi.AutoRunState.AutoRunEnabled },
        }, new CustomResourceOptions { Parent = this, DependsOn = roles.Append(blob).ToArray() });

        var ready = ImageReady.WhenBuilt(template, image.ResourceGroupName, image.ManagedImageId(image.CurrentVersion), TimeSpan.FromMinutes(90));

        var targets = plan.Regions
            .Select(r => new Compute.Inputs.TargetRegionArgs { Name = r.Region, RegionalReplicaCount = 1 })
            .ToArray();
        var versions = new Dictionary<string, Compute.GalleryImageVersion>();
        foreach (var version in image.AllVersions)
        {
            // The current version waits for its build; an older one points at its managed image,
            // which that version's build left in the image group.
            Input<string> source = version == image.CurrentVersion ? ready : image.ManagedImageId(version);
            versions[version] = new Compute.GalleryImageVersion($"image-{version}", new()
            {
                GalleryName = gallery.Name,
                GalleryImageName = definition.Name,
                GalleryImageVersionName = version,
                ResourceGroupName = group.Name,
                Location = image.Location,
                PublishingProfile = new Compute.Inputs.GalleryImageVersionPublishingProfileArgs
                {
                    TargetRegions = targets,
                },
                StorageProfile = new Compute.Inputs.GalleryImageVersionStorageProfileArgs
                {
                    Source = new Compute.Inputs.GalleryArtifactVersionFullSourceArgs { Id = source },
                },
            }, child);
        }

        Versions = versions;
        VersionIds = versions.ToDictionary(v => v.Key, v => v.Value.Id);
        RegisterOutputs(new Dictionary<string, object?>
        {
            ["currentVersion"] = image.CurrentVersion,
            ["versionIds"] = Output.All(versions.Select(v => v.Value.Id.Apply(id => $"{v.Key}={id}"))),
        });
    }
}
