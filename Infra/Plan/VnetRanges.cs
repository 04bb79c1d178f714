namespace GeoLedger.Infra.Plan;

/// <summary>
/// Each Azure region's VNet range, <c>10.N.0.0/16</c>, keyed by region name so that the order of
/// <c>regions</c> never moves a node's address. Append only: a number once given is never reused
/// or changed (the first three are the article's regions, as the first deployments numbered them).
/// A region missing here needs a <c>vnetCidrs</c> entry.
/// </summary>
public static class VnetRanges
{
    private static readonly string[] Numbered =
    [
        "eastus", "westus", "centralus", "eastus2", "westus2", "westus3", "northcentralus", "southcentralus",
        "westcentralus", "canadacentral", "canadaeast", "brazilsouth", "mexicocentral", "northeurope", "westeurope",
        "uksouth", "ukwest", "francecentral", "germanywestcentral", "swedencentral", "switzerlandnorth",
        "norwayeast", "polandcentral", "italynorth", "spaincentral", "austriaeast", "belgiumcentral",
        "eastasia", "southeastasia", "japaneast", "japanwest", "koreacentral", "koreasouth",
        "australiaeast", "australiasoutheast", "australiacentral", "centralindia", "southindia", "westindia",
        "uaenorth", "qatarcentral", "israelcentral", "southafricanorth", "newzealandnorth", "indonesiacentral",
        "malaysiawest", "chilecentral",
    ];

    /// <summary>The region's default VNet range, or null when the table lacks it.</summary>
    public static Cidr? For(string region)
    {
        var index = Array.IndexOf(Numbered, region);
        return index < 0 ? null : new Cidr((uint)(10 << 24 | (index + 1) << 16), 16);
    }

    /// <summary>Every region the table numbers, in table order.</summary>
    public static IReadOnlyList<string> Regions => Numbered;
}
