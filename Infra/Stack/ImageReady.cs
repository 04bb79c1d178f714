using Pulumi;
using Pulumi.AzureNative.VirtualMachineImages;

namespace GeoLedger.Infra.Stack;

/// <summary>
/// The image-ready step: during an update (not in preview) it waits until the template's
/// AutoRun build has succeeded, fails the deployment with the build's own message otherwise,
/// and yields the managed image id, which the plan chose and so is known in advance.
/// </summary>
internal static class ImageReady
{
    /// <summary>Time between two looks at the build's state.</summary>
    public static TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The managed image id once the build of <paramref name="template"/> has succeeded.</summary>
    public static Output<string> WhenBuilt(
        VirtualMachineImageTemplate template, string resourceGroupName, string managedImageId, TimeSpan timeout) =>
        template.Name.Apply(async name =>
        {
            // A preview must not wait for (or start) a build; the id is known anyway.
            if (Deployment.Instance.IsDryRun)
                return managedImageId;

            var deadline = DateTimeOffset.UtcNow + timeout;
            while (true)
            {
                var current = await GetVirtualMachineImageTemplate.InvokeAsync(new GetVirtualMachineImageTemplateArgs
                {
                    ImageTemplateName = name,
                    ResourceGroupName = resourceGroupName,
                }).ConfigureAwait(false);
                var state = current.LastRunStatus?.RunState;
                switch (state)
                {
                    case "Succeeded":
                        return managedImageId;
                    case "Failed" or "Canceled" or "PartiallySucceeded":
                        throw new ResourceException(
                            $"the image build of template {name} ended '{state}': {current.LastRunStatus?.Message} (sub-state {current.LastRunStatus?.RunSubState})",
                            template);
                }

                if (DateTimeOffset.UtcNow > deadline)
                    throw new ResourceException($"the image build of template {name} did not finish within {timeout} (state '{state ?? "not started"}')", template);
                await Task.Delay(PollInterval).ConfigureAwait(false);
            }
        });
}
