using System.Text.RegularExpressions;

namespace GeoLedger.Infra.Plan;

/// <summary>
/// Azure's naming rules for every kind of name the plan makes (Azure resource naming rules,
/// learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules).
/// </summary>
public static partial class AzureNames
{
    /// <summary>The kinds of names the plan makes.</summary>
    public enum Kind
    {
        ResourceGroup,
        VirtualNetwork,
        Subnet,
        NetworkSecurityGroup,
        PublicIp,
        NetworkInterface,
        Disk,
        VirtualMachine,
        ComputerName,
        DnsLabel,
        StorageAccount,
        BlobContainer,
        Blob,
        Gallery,
        GalleryImage,
        ImageTemplate,
        Identity,
        Peering,
    }

    /// <summary>The rule of a kind of name, in words, for error messages.</summary>
    public static string Rule(Kind kind) => kind switch
    {
        Kind.ResourceGroup => "1-90 letters, digits, '-', '_', '.', '(' or ')', not ending in '.'",
        Kind.StorageAccount => "3-24 lowercase letters and digits",
        Kind.Gallery => "1-80 letters, digits, '_' and '.', starting and ending with a letter or digit (no '-')",
        Kind.DnsLabel => "3-63 lowercase letters, digits and '-', starting with a letter and not ending with '-'",
        Kind.ComputerName => "1-64 letters, digits and '-', not starting or ending with '-'",
        Kind.BlobContainer => "3-63 lowercase letters, digits and single '-', starting and ending with a letter or digit",
        Kind.VirtualMachine => "1-64 letters, digits, '-', '_' and '.', starting with a letter or digit, not ending with '.' or '-'",
        Kind.ImageTemplate => "1-64 letters, digits, '-', '_' and '.', starting with a letter or digit",
        Kind.Blob => "1-1024 characters without '\\' or control characters",
        _ => "1-80 letters, digits, '-', '_' and '.', starting with a letter or digit and ending with a letter, digit or '_'",
    };

    /// <summary>True when <paramref name="name"/> obeys Azure's rule for <paramref name="kind"/>.</summary>
    public static bool IsValid(Kind kind, string name) => kind switch
    {
        Kind.ResourceGroup => ResourceGroupPattern().IsMatch(name) && !name.EndsWith('.'),
        Kind.StorageAccount => StorageAccountPattern().IsMatch(name),
        Kind.Gallery => GalleryPattern().IsMatch(name),
        Kind.DnsLabel => DnsLabelPattern().IsMatch(name),
        Kind.ComputerName => ComputerNamePattern().IsMatch(name) && !name.All(char.IsAsciiDigit),
        Kind.BlobContainer => ContainerPattern().IsMatch(name) && !name.Contains("--", StringComparison.Ordinal),
        Kind.VirtualMachine => VmPattern().IsMatch(name),
        Kind.ImageTemplate => TemplatePattern().IsMatch(name),
        Kind.Blob => name.Length is >= 1 and <= 1024 && !name.Contains('\\') && !name.Any(char.IsControl),
        _ => GenericPattern().IsMatch(name),
    };

    /// <summary>Throws a <see cref="PlanException"/> naming <paramref name="setting"/> when the name breaks its rule.</summary>
    public static string Check(Kind kind, string name, string setting)
    {
        if (!IsValid(kind, name))
            throw new PlanException(setting, $"makes the {Describe(kind)} name '{name}', which Azure refuses: {Rule(kind)}");
        return name;
    }

    private static string Describe(Kind kind) => kind switch
    {
        Kind.DnsLabel => "DNS label",
        Kind.ComputerName => "computer",
        Kind.StorageAccount => "storage account",
        Kind.ResourceGroup => "resource group",
        _ => Regex.Replace(kind.ToString(), "(?<=[a-z])(?=[A-Z])", " ").ToLowerInvariant(),
    };

    [GeneratedRegex(@"^[A-Za-z0-9_.()\-]{1,90}$")]
    private static partial Regex ResourceGroupPattern();

    [GeneratedRegex("^[a-z0-9]{3,24}$")]
    private static partial Regex StorageAccountPattern();

    [GeneratedRegex("^[A-Za-z0-9]([A-Za-z0-9_.]{0,78}[A-Za-z0-9])?$")]
    private static partial Regex GalleryPattern();

    [GeneratedRegex("^[a-z][a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex DnsLabelPattern();

    [GeneratedRegex("^[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?$")]
    private static partial Regex ComputerNamePattern();

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex ContainerPattern();

    [GeneratedRegex(@"^[A-Za-z0-9]([A-Za-z0-9_.\-]{0,62}[A-Za-z0-9_])?$")]
    private static partial Regex VmPattern();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")]
    private static partial Regex TemplatePattern();

    [GeneratedRegex(@"^[A-Za-z0-9]([A-Za-z0-9_.\-]{0,78}[A-Za-z0-9_])?$")]
    private static partial Regex GenericPattern();
}
