namespace GeoLedger.Infra.Plan;

/// <summary>
/// Median round-trip times between Azure regions, in milliseconds.
/// Source: Microsoft, "Azure network round-trip latency statistics",
/// https://learn.microsoft.com/azure/networking/azure-network-latency (monthly tables measured
/// between Azure regions over Microsoft's backbone). The figures below are transcribed from that
/// page and rounded up to the next 5 ms, since the timeouts only need an upper bound; the page is
/// republished monthly, so re-check a pair before trusting it to a millisecond. A pair missing
/// here needs the stack setting <c>maxRttMs</c>.
/// </summary>
public static class RegionRtt
{
    private static readonly Dictionary<(string, string), int> Table = Build(
    [
        // North America
        ("eastus", "eastus2", 10), ("eastus", "centralus", 35), ("eastus", "northcentralus", 25),
        ("eastus", "southcentralus", 35), ("eastus", "westus", 70), ("eastus", "westus2", 70),
        ("eastus", "westus3", 60), ("eastus", "canadacentral", 20),
        ("eastus2", "centralus", 35), ("eastus2", "northcentralus", 25), ("eastus2", "southcentralus", 35),
        ("eastus2", "westus", 70), ("eastus2", "westus2", 70), ("eastus2", "westus3", 60),
        ("eastus2", "canadacentral", 25),
        ("centralus", "northcentralus", 10), ("centralus", "southcentralus", 25), ("centralus", "westus", 45),
        ("centralus", "westus2", 40), ("centralus", "westus3", 40), ("centralus", "canadacentral", 25),
        ("northcentralus", "southcentralus", 30), ("northcentralus", "westus", 55), ("northcentralus", "westus2", 50),
        ("northcentralus", "westus3", 50), ("northcentralus", "canadacentral", 15),
        ("southcentralus", "westus", 40), ("southcentralus", "westus2", 50), ("southcentralus", "westus3", 25),
        ("southcentralus", "canadacentral", 45),
        ("westus", "westus2", 25), ("westus", "westus3", 20), ("westus", "canadacentral", 70),
        ("westus2", "westus3", 30), ("westus2", "canadacentral", 65),
        ("westus3", "canadacentral", 65),
        // Europe
        ("northeurope", "westeurope", 20), ("northeurope", "uksouth", 15), ("northeurope", "francecentral", 25),
        ("northeurope", "germanywestcentral", 30), ("northeurope", "swedencentral", 40),
        ("westeurope", "uksouth", 10), ("westeurope", "francecentral", 15), ("westeurope", "germanywestcentral", 10),
        ("westeurope", "swedencentral", 25),
        ("uksouth", "francecentral", 10), ("uksouth", "germanywestcentral", 20), ("uksouth", "swedencentral", 35),
        ("francecentral", "germanywestcentral", 15), ("francecentral", "swedencentral", 35),
        ("germanywestcentral", "swedencentral", 25),
        // Across the Atlantic
        ("eastus", "northeurope", 75), ("eastus", "westeurope", 85), ("eastus", "uksouth", 80),
        ("eastus", "francecentral", 85), ("eastus", "germanywestcentral", 90), ("eastus", "swedencentral", 105),
        ("eastus2", "northeurope", 75), ("eastus2", "westeurope", 85), ("eastus2", "uksouth", 80),
        ("centralus", "northeurope", 100), ("centralus", "westeurope", 110), ("centralus", "uksouth", 105),
        ("westus", "northeurope", 140), ("westus", "westeurope", 145), ("westus", "uksouth", 145),
        ("westus2", "northeurope", 135), ("westus2", "westeurope", 145), ("westus2", "uksouth", 140),
        ("canadacentral", "northeurope", 80), ("canadacentral", "westeurope", 90), ("canadacentral", "uksouth", 85),
    ]);

    /// <summary>The median round trip between two regions, or null when the table lacks the pair.</summary>
    public static int? Lookup(string a, string b) =>
        a == b ? 1 : Table.TryGetValue(Key(a, b), out var ms) ? ms : null;

    /// <summary>Every region the table knows.</summary>
    public static IReadOnlySet<string> KnownRegions { get; } =
        Table.Keys.SelectMany(k => new[] { k.Item1, k.Item2 }).ToHashSet(StringComparer.Ordinal);

    private static (string, string) Key(string a, string b) =>
        string.CompareOrdinal(a, b) < 0 ? (a, b) : (b, a);

    private static Dictionary<(string, string), int> Build((string A, string B, int Ms)[] rows)
    {
        var table = new Dictionary<(string, string), int>();
        foreach (var (a, b, ms) in rows)
            table.Add(Key(a, b), ms);
        return table;
    }
}
