using GeoLedger.Infra.Plan;
using Pulumi;
using Pulumi.AzureNative.VirtualMachineImages;

namespace GeoLedger.Infra.Stack;

/// <summary>
/// The image-ready step: during an update (not in preview) it waits until the template's AutoRun
/// build has succeeded and yields the gallery version id it distributed (chosen by the plan, so
/// known in advance); a failed build fails the deployment with the build's own message and the way
/// out, since the template, and so the failure, stays until its specification changes.
/// </summary>
internal static class ImageReady
{
    /// <summary>Time between two looks at the build's state.</summary>
    public static TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The current version's id once the build of <paramref name="template"/> has succeeded.</summary>
    public static Output<string> WhenBuilt(VirtualMachineImageTemplate template, ImagePlan image, int attempt, TimeSpan timeout) =>
        template.Name.Apply(async name =>
        {
            var versionId = image.VersionId(image.CurrentVersion);
            // A preview must not wait for (or start) a build; the id is known anyway.
            if (Deployment.Instance.IsDryRun)
                return versionId;

            var deadline = DateTimeOffset.UtcNow + timeout;
            while (true)
            {
                var current = await GetVirtualMachineImageTemplate.InvokeAsync(new GetVirtualMachineImageTemplateArgs
                {
                    ImageTemplateName = name,
                    ResourceGroupName = image.ResourceGroupName,
                }).ConfigureAwait(false);
                var state = current.LastRunStatus?.RunState;
                switch (state)
                {
                    case "Succeeded":
                        return versionId;
                    case "Failed" or "Canceled" or "PartiallySucceeded":
                        throw new ResourceException(
                            $"the image build of template {name} ended '{state}': {current.LastRunStatus?.Message} (sub-state {current.LastRunStatus?.RunSubState}). " +
                            $"Its log is customization.log in the staging resource group (docs/deploy-azure.md, 'When the image build fails'); " +
                            $"fix the cause, then build again with: pulumi config set geoledger:imageBuildAttempt {attempt + 1} && pulumi up",
                            template);
                }

                if (DateTimeOffset.UtcNow > deadline)
                    throw new ResourceException($"the image build of template {name} did not finish within {timeout} (state '{state ?? "not started"}')", template);
                await Task.Delay(PollInterval).ConfigureAwait(false);
            }
        });
}
