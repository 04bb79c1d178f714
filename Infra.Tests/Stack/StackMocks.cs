using System.Collections.Immutable;
using Moq;
using Pulumi.Testing;

namespace GeoLedger.Infra.Tests.Stack;

/// <summary>
/// A strict <see cref="Mock{IMocks}"/>: it answers the resource types and functions the stack
/// uses, echoes inputs as outputs with fake ARM ids, and throws on anything else.
/// </summary>
internal sealed class StackMocks
{
    public const string SubscriptionId = "00000000-1111-2222-3333-444444444444";

    // Resource type → the input that holds its Azure name.
    private static readonly Dictionary<string, string> NameInputs = new()
    {
        ["azure-native:resources:ResourceGroup"] = "resourceGroupName",
        ["azure-native:managedidentity:UserAssignedIdentity"] = "resourceName",
        ["azure-native:storage:StorageAccount"] = "accountName",
        ["azure-native:storage:BlobContainer"] = "containerName",
        ["azure-native:storage:Blob"] = "blobName",
        ["azure-native:authorization:RoleAssignment"] = "roleAssignmentName",
        ["azure-native:authorization:RoleDefinition"] = "roleDefinitionId",
        ["azure-native:compute:Gallery"] = "galleryName",
        ["azure-native:compute:GalleryImage"] = "galleryImageName",
        ["azure-native:virtualmachineimages:VirtualMachineImageTemplate"] = "imageTemplateName",
        ["azure-native:network:NetworkSecurityGroup"] = "networkSecurityGroupName",
        ["azure-native:network:VirtualNetwork"] = "virtualNetworkName",
        ["azure-native:network:Subnet"] = "subnetName",
        ["azure-native:network:PublicIPAddress"] = "publicIpAddressName",
        ["azure-native:network:NetworkInterface"] = "networkInterfaceName",
        ["azure-native:network:VirtualNetworkPeering"] = "virtualNetworkPeeringName",
        ["azure-native:compute:Disk"] = "diskName",
        ["azure-native:compute:VirtualMachine"] = "vmName",
        ["azure-native:compute:VirtualMachineRunCommandByVirtualMachine"] = "runCommandName",
        ["geoledger:infra:ImageBuild"] = "",
        ["geoledger:infra:RegionCluster"] = "",
    };

    private readonly IReadOnlyDictionary<string, string> _vmImages;
    private readonly string? _vmReadError;
    private readonly string _runState;
    private readonly string _runMessage;
    private readonly (string Held, string Until)? _hold;
    private readonly TaskCompletionSource _untilSeen = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>How long a held resource waits for the one it is held for (proving that one waits for it).</summary>
    public static readonly TimeSpan HoldBound = TimeSpan.FromSeconds(5);

    public Mock<IMocks> Mock { get; } = new(MockBehavior.Strict);

    /// <summary>Every resource the program registered, in order.</summary>
    public List<(string Type, string Name, ImmutableDictionary<string, object> Inputs, string Id)> Resources { get; } = [];

    /// <summary>Every function the program called.</summary>
    public List<string> Calls { get; } = [];

    /// <param name="vmImages">VM name → the image id Azure reports for it; a VM not listed does not exist.</param>
    /// <param name="vmReadError">When set, reading any VM fails with this message (not a 404).</param>
    /// <param name="hold">
    /// Creating resource <c>Held</c> finishes only once <c>Until</c> is registered, or after <see cref="HoldBound"/>:
    /// a resource that depends on <c>Held</c> is then registered after it, one that does not before it.
    /// </param>
    public StackMocks(IReadOnlyDictionary<string, string>? vmImages = null, string runState = "Succeeded", string runMessage = "", string? vmReadError = null, (string Held, string Until)? hold = null)
    {
        _hold = hold;
        _vmImages = vmImages ?? new Dictionary<string, string>();
        _vmReadError = vmReadError;
        _runState = runState;
        _runMessage = runMessage;
        Mock.Setup(m => m.NewResourceAsync(It.IsAny<MockResourceArgs>())).Returns((MockResourceArgs a) => NewResourceAsync(a));
        Mock.Setup(m => m.CallAsync(It.IsAny<MockCallArgs>())).Returns((MockCallArgs a) => Task.FromResult(Call(a)));
        Mock.Setup(m => m.RegisterResourceOutputs(It.IsAny<MockRegisterResourceOutputsRequest>())).Returns(Task.CompletedTask);
    }

    public IEnumerable<(string Type, string Name, ImmutableDictionary<string, object> Inputs, string Id)> OfType(string type) =>
        Resources.Where(r => r.Type == type);

    private async Task<(string? id, object state)> NewResourceAsync(MockResourceArgs args)
    {
        if (_hold is { } hold && args.Name == hold.Held)
            await Task.WhenAny(_untilSeen.Task, Task.Delay(HoldBound)).ConfigureAwait(false);
        if (_hold is { } seen && args.Name == seen.Until)
            _untilSeen.TrySetResult();
        return NewResource(args);
    }

    private (string? id, object state) NewResource(MockResourceArgs args)
    {
        var type = args.Type ?? throw new InvalidOperationException("resource without a type");
        if (!NameInputs.TryGetValue(type, out var nameInput))
            throw new InvalidOperationException($"unexpected resource type {type} ({args.Name})");

        var state = args.Inputs.ToDictionary(kv => kv.Key, kv => kv.Value);
        string id;
        switch (type)
        {
            case "geoledger:infra:ImageBuild" or "geoledger:infra:RegionCluster":
                Resources.Add((type, args.Name!, args.Inputs, ""));
                return (null, state);
            default:
                var azureName = args.Inputs.TryGetValue(nameInput, out var n) ? (string)n : args.Name!;
                state["name"] = azureName;
                id = $"/subscriptions/{SubscriptionId}/mock/{type.Split(':')[2]}/{azureName}";
                if (type == "azure-native:managedidentity:UserAssignedIdentity")
                {
                    state["principalId"] = "principal-of-" + azureName;
                    state["clientId"] = "11111111-2222-3333-4444-555555555555";
                }

                if (type == "azure-native:storage:Blob")
                    state["url"] = $"https://mock.blob.core.windows.net/images/{azureName}";
                break;
        }

        Resources.Add((type, args.Name!, args.Inputs, id));
        return (id, state);
    }

    /// <summary>Every VM the program read, by name.</summary>
    public List<string> VmReads { get; } = [];

    private Dictionary<string, object> VirtualMachine(string name)
    {
        VmReads.Add(name);
        if (_vmReadError is not null)
            throw new InvalidOperationException(_vmReadError);
        if (!_vmImages.TryGetValue(name, out var image))
            throw new InvalidOperationException($"Code=\"ResourceNotFound\" Message=\"The Resource 'Microsoft.Compute/virtualMachines/{name}' was not found.\"");
        return new Dictionary<string, object>
        {
            ["name"] = name,
            ["location"] = "eastus",
            ["storageProfile"] = new Dictionary<string, object>
            {
                ["imageReference"] = new Dictionary<string, object> { ["id"] = image },
            },
        };
    }

    private object Call(MockCallArgs args)
    {
        Calls.Add(args.Token!);
        return args.Token switch
        {
            "azure-native:authorization:getClientConfig" => new Dictionary<string, object>
            {
                ["clientId"] = "client",
                ["objectId"] = "object",
                ["subscriptionId"] = SubscriptionId,
                ["tenantId"] = "tenant",
            },
            "azure-native:virtualmachineimages:getVirtualMachineImageTemplate" => new Dictionary<string, object>
            {
                ["id"] = $"/subscriptions/{SubscriptionId}/mock/imageTemplate/{args.Args["imageTemplateName"]}",
                ["name"] = args.Args["imageTemplateName"],
                ["type"] = "Microsoft.VirtualMachineImages/imageTemplates",
                ["location"] = "eastus",
                ["azureApiVersion"] = "2024-02-01",
                ["provisioningState"] = "Succeeded",
                ["exactStagingResourceGroup"] = "IT_staging",
                ["identity"] = new Dictionary<string, object> { ["type"] = "UserAssigned" },
                ["source"] = new Dictionary<string, object> { ["type"] = "PlatformImage" },
                ["customize"] = Array.Empty<object>(),
                ["distribute"] = Array.Empty<object>(),
                ["provisioningError"] = new Dictionary<string, object>(),
                ["systemData"] = new Dictionary<string, object>(),
                ["lastRunStatus"] = new Dictionary<string, object>
                {
                    ["runState"] = _runState,
                    ["runSubState"] = _runState == "Succeeded" ? "Distributing" : "Customizing",
                    ["message"] = _runMessage,
                },
            },
            "azure-native:compute:getVirtualMachine" => VirtualMachine((string)args.Args["vmName"]),
            _ => throw new InvalidOperationException($"unexpected call {args.Token}"),
        };
    }
}
