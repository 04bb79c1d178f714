using GeoLedger.Faults.State;

namespace GeoLedger.Faults.Tests;

/// <summary>
/// The end-of-run state comparison on synthetic node states: identical members pass, and a value, a revision, an
/// applied index or a key that differs on one node is flagged, naming the node, the key and what each side holds.
/// </summary>
public sealed class StateComparerTests
{
    private static List<StateEntry> Entries() =>
    [
        new("k0", "\"c1-4\"", 120),
        new("k1", "\"c2-9\"", 131),
        new("k2", "\"c0-3\"", 98),
    ];

    private static NodeState Node(string id, IEnumerable<StateEntry> entries, long applied = 140) => new(id, applied, entries.ToList());

    private static List<NodeState> Agreeing() => [Node("node-0", Entries()), Node("node-1", Entries()), Node("node-2", Entries())];

    [Fact]
    public void Identical_states_pass()
    {
        var result = StateComparer.Compare(Agreeing(), []);

        Assert.True(result.Passed, string.Join("\n", result.Problems));
        Assert.Equal("PASS: 3 nodes agree on 3 keys at applied index 140", result.Summary);
    }

    [Fact]
    public void A_value_that_differs_on_one_node_is_flagged_with_both_values()
    {
        var nodes = Agreeing();
        nodes[1] = Node("node-1", Entries().Select(e => e.Key == "k1" ? e with { Value = "\"c7-2\"" } : e));

        var result = StateComparer.Compare(nodes, []);

        Assert.False(result.Passed);
        Assert.Equal(["node-1 differs on 'k1': has \"c7-2\" at revision 131; node-0 and node-2 have \"c2-9\" at revision 131"], result.Problems);
        Assert.StartsWith("FAIL (1 problems)", result.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void A_revision_that_differs_on_one_node_is_flagged_with_both_revisions()
    {
        var nodes = Agreeing();
        nodes[2] = Node("node-2", Entries().Select(e => e.Key == "k0" ? e with { Revision = 119 } : e));

        var result = StateComparer.Compare(nodes, []);

        Assert.Equal(["node-2 differs on 'k0': has \"c1-4\" at revision 119; node-0 and node-1 have \"c1-4\" at revision 120"], result.Problems);
    }

    [Fact]
    public void A_key_missing_on_one_node_is_flagged()
    {
        var nodes = Agreeing();
        nodes[0] = Node("node-0", Entries().Where(e => e.Key != "k2"));

        var result = StateComparer.Compare(nodes, []);

        Assert.Equal(["node-0 differs on 'k2': lacks it; node-1 and node-2 have \"c0-3\" at revision 98"], result.Problems);
    }

    [Fact]
    public void A_key_only_one_node_holds_is_flagged()
    {
        var nodes = Agreeing();
        nodes[1] = Node("node-1", Entries().Append(new StateEntry("k3", "\"c5-1\"", 135)));

        var result = StateComparer.Compare(nodes, []);

        Assert.Equal(["node-1 differs on 'k3': has \"c5-1\" at revision 135; node-0 and node-2 lack it"], result.Problems);
        Assert.Equal(4, result.Keys);
    }

    [Fact]
    public void Different_applied_indexes_are_flagged_even_with_equal_keys()
    {
        var nodes = Agreeing();
        nodes[2] = Node("node-2", Entries(), applied: 139);

        var result = StateComparer.Compare(nodes, []);

        Assert.Equal(["applied indexes differ: node-0 140, node-1 140, node-2 139"], result.Problems);
    }

    [Fact]
    public void Left_out_nodes_are_named_and_do_not_fail_the_check()
    {
        var result = StateComparer.Compare(Agreeing().Take(2).ToList(), ["node-2 (removed, not a voting member)"]);

        Assert.True(result.Passed);
        Assert.Equal("PASS: 2 nodes agree on 3 keys at applied index 140; left out: node-2 (removed, not a voting member)", result.Summary);
    }

    [Fact]
    public void No_node_read_fails()
    {
        Assert.False(StateComparer.Compare([], []).Passed);
    }
}
