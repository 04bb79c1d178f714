using GeoLedger.Infra.Plan;

namespace GeoLedger.LocalCluster.Geo;

/// <summary>The delays between regions, from the round trips the Pulumi plan uses (<see cref="RegionRtt"/>).</summary>
public static class GeoLinks
{
    /// <summary>The median round trip between two regions (1 ms within a region).</summary>
    /// <exception cref="ArgumentException">The table lacks the pair.</exception>
    public static int RttMs(string a, string b) =>
        RegionRtt.Lookup(a, b) ?? throw new ArgumentException($"no round trip between {a} and {b} in Infra/Plan/RegionRtt.cs; known regions: {string.Join(", ", RegionRtt.KnownRegions.Order())}");

    /// <summary>The one-way delay of a link between two regions: half the round trip.</summary>
    public static TimeSpan OneWay(string a, string b) => TimeSpan.FromMilliseconds(RttMs(a, b) / 2.0);

    /// <summary>
    /// The round trip from <paramref name="leader"/> to the nearest majority of <paramref name="members"/>
    /// (the regions of every member, the leader's included): what a commit waits for at least.
    /// </summary>
    public static int NearestMajorityRttMs(string leader, IReadOnlyList<string> members)
    {
        // The leader counts itself; it needs the quickest members.Count / 2 others.
        var others = members.ToList();
        others.Remove(leader);
        return others.Select(r => RttMs(leader, r)).Order().Take(members.Count / 2).DefaultIfEmpty(0).Max();
    }

    /// <summary>Checks a region list: known regions, each once, at least one.</summary>
    /// <exception cref="ArgumentException">The list is empty, repeats a region, or names one the table lacks.</exception>
    public static IReadOnlyList<string> Validate(IReadOnlyList<string> regions)
    {
        if (regions.Count == 0)
            throw new ArgumentException("name at least one region, e.g. eastus,westus,centralus");
        if (regions.GroupBy(r => r).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new ArgumentException($"region {twice.Key} is named twice");
        if (regions.FirstOrDefault(r => !RegionRtt.KnownRegions.Contains(r)) is { } unknown)
            throw new ArgumentException($"region {unknown} is not in Infra/Plan/RegionRtt.cs; known regions: {string.Join(", ", RegionRtt.KnownRegions.Order())}");
        return regions;
    }
}
