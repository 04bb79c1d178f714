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
/// The image pipeline of the plan: the service archive as a private blob, two identities with only
/// what each needs, a Trusted Launch gallery image definition, the template (named after the hash
/// of its specification, replaced on any change; AutoRun builds it once and distributes the version
/// straight to the gallery), and the image-ready step the VMs wait for.
/// </summary>
internal sealed class ImageBuild : ComponentResource
{
    /// <summary>The gallery image version id the current image's VMs boot from, once its build has succeeded.</summary>
    public Output<string> CurrentVersionId { get; }

    /// <summary>The template resource.</summary>
    public Vmi.VirtualMachineImageTemplate Template { get; }

    /// <summary>Creates the pipeline.</summary>
    /// <param name="plan">The cluster plan.</param>
    /// <param name="archivePath">The service archive the program published.</param>
    /// <param name="options">Pulumi options of the component.</param>
    public ImageBuild(ClusterPlan plan, string archivePath, ComponentResourceOptions? options = null)
        : base("geoledger:infra:ImageBuild", "image", options)
    {
        var image = plan.Image;
        var child = new CustomResourceOptions { Parent = this };

        var group = new Resources.ResourceGroup("image-rg", new()
        {
            ResourceGroupName = image.ResourceGroupName,
            Location = image.Location,
        }, child);

        var builder = new ManagedIdentity.UserAssignedIdentity("image-builder-identity", new()
        {
            ResourceName = image.BuilderIdentityName,
            ResourceGroupName = group.Name,
            Location = image.Location,
        }, child);

        var buildVm = new ManagedIdentity.UserAssignedIdentity("image-build-vm-identity", new()
        {
            ResourceName = image.BuildVmIdentityName,
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
            AllowSharedKeyAccess = false,
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

        // Least privilege: Image Builder's identity may write image versions in the image group and
        // assign the build VM its identity; the build VM may read the archive's container, nothing else.
        var builderRole = new Authorization.RoleDefinition("image-builder-role", new()
        {
            RoleDefinitionId = image.BuilderRoleGuid,
            RoleName = image.BuilderRoleName,
            Description = "GeoLedger: distribute image versions to this stack's gallery",
            Scope = group.Id,
            AssignableScopes = { group.Id },
            Permissions = { new Authorization.Inputs.PermissionArgs { Actions = ImageRoles.BuilderActions.ToArray() } },
        }, child);

        Authorization.RoleAssignment Assign(string name, Output<string> principal, Input<string> role, Input<string> scope) =>
            new(name, new()
            {
                PrincipalId = principal,
                PrincipalType = Authorization.PrincipalType.ServicePrincipal,
                RoleDefinitionId = role,
                Scope = scope,
            }, child);

        var roles = new Resource[]
        {
            Assign("image-builder-distributes", builder.PrincipalId, builderRole.Id, group.Id),
            Assign("image-builder-assigns-build-vm-identity", builder.PrincipalId,
                ImageRoles.BuiltIn(image.SubscriptionId, ImageRoles.ManagedIdentityOperator), buildVm.Id),
            Assign("image-build-vm-reads-archive", buildVm.PrincipalId,
                ImageRoles.BuiltIn(image.SubscriptionId, ImageRoles.StorageBlobDataReader),
                Output.Format($"{account.Id}/blobServices/default/containers/{container.Name}")),
        };

        // Image Builder writes the versions, not Pulumi: keep these two out of Pulumi's deletes, so
        // that destroy removes them with the image resource group (a definition holding versions
        // cannot be deleted on its own).
        var retained = new CustomResourceOptions { Parent = this, RetainOnDelete = true };
        var gallery = new Compute.Gallery("gallery", new()
        {
            GalleryName = image.GalleryName,
            ResourceGroupName = group.Name,
            Location = image.Location,
            Description = "GeoLedger node images",
        }, retained);

        var definition = new Compute.GalleryImage("gallery-image", new()
        {
            GalleryName = gallery.Name,
            GalleryImageName = image.GalleryImageName,
            ResourceGroupName = group.Name,
            Location = image.Location,
            OsType = Compute.OperatingSystemTypes.Linux,
            OsState = Compute.OperatingSystemStateTypes.Generalized,
            HyperVGeneration = Compute.HyperVGeneration.V2,
            Features = { new Compute.Inputs.GalleryImageFeatureArgs { Name = "SecurityType", Value = "TrustedLaunchSupported" } },
            Identifier = new Compute.Inputs.GalleryImageIdentifierArgs
            {
                Publisher = "GeoLedger",
                Offer = "geoledger",
                Sku = "ubuntu-24_04-lts-server-gen2-tl",
            },
        }, retained);

        Template = new Vmi.VirtualMachineImageTemplate("image-template", new()
        {
            ImageTemplateName = image.TemplateName,
            ResourceGroupName = group.Name,
            Location = image.Location,
            Identity = new Vmi.Inputs.ImageTemplateIdentityArgs
            {
                Type = Vmi.ResourceIdentityType.UserAssigned,
                UserAssignedIdentities = { builder.Id },
            },
            Source = new Vmi.Inputs.ImageTemplatePlatformImageSourceArgs
            {
                Type = "PlatformImage",
                Publisher = ImageSpec.SourcePublisher,
                Offer = ImageSpec.SourceOffer,
                Sku = ImageSpec.SourceSku,
                Version = ImageSpec.SourceVersion,
            },
            Customize = new object[]
            {
                new Vmi.Inputs.ImageTemplateShellCustomizerArgs
                {
                    Type = "Shell",
                    Name = "install-geoledger",
                    Inline = ImageScript.Inline(image.InstallScript).ToImmutableArray(),
                },
            },
            Distribute = new object[]
            {
                new Vmi.Inputs.ImageTemplateSharedImageDistributorArgs
                {
                    Type = "SharedImage",
                    GalleryImageId = definition.Id.Apply(id => $"{id}/versions/{image.CurrentVersion}"),
                    RunOutputName = "gallery-version",
                    TargetRegions = image.ReplicationRegions
                        .Select(r => new Vmi.Inputs.TargetRegionArgs { Name = r, ReplicaCount = 1 }).ToArray(),
                },
            },
            VmProfile = new Vmi.Inputs.ImageTemplateVmProfileArgs
            {
                VmSize = image.BuildVmSize,
                UserAssignedIdentities = { buildVm.Id },
            },
            BuildTimeoutInMinutes = image.BuildTimeoutMinutes,
            AutoRun = new Vmi.Inputs.ImageTemplateAutoRunArgs { State = Vmi.AutoRunState.AutoRunEnabled },
        }, TemplateOptions(this, roles.Append(blob)));

        CurrentVersionId = ImageReady.WhenBuilt(Template, image, plan.Config.ImageBuildAttempt, TimeSpan.FromMinutes(90));
        RegisterOutputs(new Dictionary<string, object?>
        {
            ["currentVersion"] = image.CurrentVersion,
            ["templateName"] = image.TemplateName,
        });
    }

    /// <summary>
    /// The template's options: a template cannot be updated in place, so any change replaces it, the
    /// old one first; it waits for its roles and the archive.
    /// </summary>
    internal static CustomResourceOptions TemplateOptions(Resource? parent, IEnumerable<Resource> dependsOn) => new()
    {
        Parent = parent,
        DependsOn = dependsOn.ToArray(),
        ReplaceOnChanges = { "*" },
        DeleteBeforeReplace = true,
    };
}
