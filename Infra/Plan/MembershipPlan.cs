namespace GeoLedger.Infra.Plan;

/// <summary>
/// What one <c>pulumi up</c> changes about the cluster's members, decided from the stack config and the
/// VMs Azure runs (<see cref="StackConfig.DeployedImages"/>): a node without a VM joins (one after
/// another, each a voter before the next VM is created); a node in <see cref="StackConfig.LeaveNodes"/>
/// leaves before its VM can be deleted. One kind of change per update, so every step keeps a majority.
/// </summary>
public sealed record MembershipPlan
{
    /// <summary>True when no VM of the stack runs yet: every node is a founding member and nobody joins.</summary>
    public required bool Founding { get; init; }

    /// <summary>Nodes that join in this update, in the order they join (a node's VM waits for the one before).</summary>
    public required IReadOnlyList<string> Joins { get; init; }

    /// <summary>Nodes that leave in this update, in the order they leave.</summary>
    public required IReadOnlyList<string> Leaves { get; init; }

    /// <summary>The running member whose VM runs the leave commands; null when nobody leaves.</summary>
    public required string? Operator { get; init; }

    /// <summary>Node id → the ids of the members its node config lists (itself included), in plan order.</summary>
    public required IReadOnlyDictionary<string, IReadOnlyList<string>> StartMembers { get; init; }

    /// <summary>Node id → true when its node config carries <c>"join": true</c> (created after the cluster was founded).</summary>
    public required IReadOnlyDictionary<string, bool> JoinFlags { get; init; }

    /// <summary>Decides the membership change of this update.</summary>
    /// <param name="config">The stack config (<c>leaveNodes</c>, <c>upgradeNodes</c>, the VMs that run).</param>
    /// <param name="nodes">Every node of the layout, in plan order.</param>
    /// <param name="counts">Nodes per region of the layout.</param>
    /// <exception cref="PlanException">The change is not one the cluster can make safely; the message says what to do.</exception>
    public static MembershipPlan Build(StackConfig config, IReadOnlyList<NodePlan> nodes, IReadOnlyDictionary<string, int> counts)
    {
        var ids = nodes.Select(n => n.Id).ToList();
        var deployed = ids.Where(config.DeployedImages.ContainsKey).ToHashSet(StringComparer.Ordinal);
        var founding = deployed.Count == 0;
        var leaves = CheckLeaves(config.LeaveNodes, ids, founding);
        var joins = founding ? [] : ids.Where(id => !deployed.Contains(id) && !leaves.Contains(id)).ToList();

        if (joins.Count > 0 && leaves.Count > 0)
            throw new PlanException("leaveNodes", $"{string.Join(", ", joins)} would join and {string.Join(", ", leaves)} leave in one update: change the members one kind at a time, so remove {string.Join(", ", leaves)} from leaveNodes (or the new nodes from the layout) and run pulumi up twice");
        var upgrades = config.UpgradeNodes.Where(ids.Contains).ToList();
        if (upgrades.Count > 0 && (joins.Count > 0 || leaves.Count > 0))
            throw new PlanException("upgradeNodes", $"names {string.Join(", ", upgrades)} while {Describe(joins, leaves)}: a node restarting during a membership change can leave the new majority unreachable; finish the membership change first (pulumi config rm upgradeNodes), then upgrade");
        if (leaves.Count > 0)
            CheckLayoutAfterLeaving(config, leaves, counts);

        var op = leaves.Count == 0 ? null : ids.First(id => deployed.Contains(id) && !leaves.Contains(id));
        var start = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        var flags = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var id in ids)
        {
            // A joiner lists the running members and the joiners before it: the cluster it finds when it boots.
            var before = joins.Contains(id) ? joins.Take(joins.IndexOf(id) + 1).ToHashSet(StringComparer.Ordinal) : [];
            start[id] = founding ? ids : ids.Where(m => deployed.Contains(m) || before.Contains(m)).ToList();
            flags[id] = !founding && (joins.Contains(id) || upgrades.Contains(id));
        }

        return new MembershipPlan
        {
            Founding = founding,
            Joins = joins,
            Leaves = leaves,
            Operator = op,
            StartMembers = start,
            JoinFlags = flags,
        };
    }

    private static string Describe(List<string> joins, List<string> leaves) =>
        joins.Count > 0 ? $"{string.Join(", ", joins)} join" : $"{string.Join(", ", leaves)} leave";

    private static List<string> CheckLeaves(IReadOnlyList<string> leaveNodes, List<string> ids, bool founding)
    {
        var leaves = new List<string>();
        foreach (var raw in leaveNodes)
        {
            var id = raw.Trim();
            if (!ids.Contains(id))
                throw new PlanException("leaveNodes", $"'{id}' is not a node of this stack ({string.Join(", ", ids)}); a node that has left goes out of the layout and out of leaveNodes in the same update");
            if (leaves.Contains(id))
                throw new PlanException("leaveNodes", $"'{id}' is listed twice: list each node once");
            leaves.Add(id);
        }

        if (leaves.Count > 0 && founding)
            throw new PlanException("leaveNodes", "names nodes, but no node of this stack runs yet: nothing can leave a cluster that does not exist; leave it empty on the first deployment");
        return leaves;
    }

    // The layout once the leavers are gone must be one the plan accepts, or the second pulumi up could never delete them.
    private static void CheckLayoutAfterLeaving(StackConfig config, List<string> leaves, IReadOnlyDictionary<string, int> counts)
    {
        var after = counts.ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal);
        foreach (var (region, n) in counts)
        {
            var leaving = leaves.Where(id => id.StartsWith(region + "-", StringComparison.Ordinal) && int.TryParse(id.AsSpan(region.Length + 1), out _))
                .Select(id => int.Parse(id.AsSpan(region.Length + 1), System.Globalization.CultureInfo.InvariantCulture)).ToList();
            var top = Enumerable.Range(n - leaving.Count, leaving.Count);
            if (!leaving.Order().SequenceEqual(top))
            {
                var expected = string.Join(", ", top.Select(i => $"{region}-{i}"));
                throw new PlanException("leaveNodes", $"names {string.Join(", ", leaving.Order().Select(i => $"{region}-{i}"))}: nodes leave a region from its highest index down, because lowering nodesPerRegion deletes exactly those; name {expected} instead");
            }

            after[region] = n - leaving.Count;
        }

        // The region rules keep at least 3 members (never fewer than 1) and no region with half of them.
        var regions = config.Regions.Select(r => r.Trim()).Where(r => after.GetValueOrDefault(r) > 0).ToList();
        try
        {
            var next = ClusterPlan.CheckRegions(regions);
            ClusterPlan.CheckNodeCounts(config with { Regions = next, NodesByRegion = next.ToDictionary(r => r, r => after[r]) }, next);
        }
        catch (PlanException e)
        {
            throw new PlanException("leaveNodes", $"with {string.Join(", ", leaves)} gone, {e.Message}");
        }
    }
}
