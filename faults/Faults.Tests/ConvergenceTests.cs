using GeoLedger.Faults.State;

namespace GeoLedger.Faults.Tests;

/// <summary>
/// When the state check may compare: the leader's voting members all answer with one applied index at or past the
/// leader's commit index; a lagging, silent or removed node is waited for or left out accordingly.
/// </summary>
public sealed class ConvergenceTests
{
    private static ClusterStatus Status(string node, long applied, string leader = "node-0", long commit = 50, string[]? members = null, string membership = "voter") =>
        new(node, leader, 3, commit, applied, members ?? ["node-0", "node-1", "node-2"], membership);

    private static Dictionary<string, ClusterStatus?> Statuses(params ClusterStatus?[] statuses) =>
        statuses.Select((s, i) => (Id: $"node-{i}", Status: s)).ToDictionary(p => p.Id, p => p.Status);

    [Fact]
    public void Members_at_one_applied_index_past_the_commit_index_have_converged()
    {
        var voters = Convergence.Voters(Statuses(Status("node-0", 50), Status("node-1", 50), Status("node-2", 50)), out _);

        Assert.Equal(["node-0", "node-1", "node-2"], voters);
    }

    [Fact]
    public void A_lagging_member_has_not_converged()
    {
        var voters = Convergence.Voters(Statuses(Status("node-0", 50), Status("node-1", 50), Status("node-2", 47)), out var why);

        Assert.Null(voters);
        Assert.Contains("node-2 applied 47", why, StringComparison.Ordinal);
    }

    [Fact]
    public void Members_equal_but_behind_the_leaders_commit_index_have_not_converged()
    {
        Assert.Null(Convergence.Voters(Statuses(Status("node-0", 49), Status("node-1", 49), Status("node-2", 49)), out _));
    }

    [Fact]
    public void A_silent_member_has_not_converged_and_no_leader_means_no_comparison()
    {
        Assert.Null(Convergence.Voters(Statuses(Status("node-0", 50), null, Status("node-2", 50)), out var silent));
        Assert.Contains("node-1 no answer", silent, StringComparison.Ordinal);
        Assert.Null(Convergence.Voters(Statuses(Status("node-0", 50, leader: "node-1"), null, Status("node-2", 50, leader: "node-1")), out var leaderless));
        Assert.Contains("no node reports itself leader", leaderless, StringComparison.Ordinal);
    }

    [Fact]
    public void A_node_outside_the_leaders_configuration_is_not_waited_for()
    {
        string[] two = ["node-0", "node-1"];
        var voters = Convergence.Voters(Statuses(Status("node-0", 50, members: two), Status("node-1", 50, members: two), Status("node-2", 12, membership: "removed")), out _);

        Assert.Equal(two, voters);
    }
}
