using GeoLedger.Cluster;

namespace GeoLedger.Tests.Cluster;

/// <summary>
/// When a leader hands leadership to a preferred member (<see cref="LeaderPreferenceRules"/>), the backoff after a failed
/// transfer (<see cref="TransferBackoff"/>), and the node config's <c>priority</c>.
/// </summary>
public sealed class LeaderPreferenceRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static MemberProgress M(string id, int priority, long match = 1000, bool available = true) => new(id, priority, match, available);

    private static PreferenceDecision Decide(string self, IReadOnlyList<MemberProgress> members, long commit = 1000, bool inFlight = false, bool settled = true, DateTimeOffset? backoffUntil = null) =>
        LeaderPreferenceRules.Decide(self, members, commit, inFlight, settled, Now, backoffUntil ?? DateTimeOffset.MinValue);

    [Fact]
    public void A_caught_up_member_of_higher_priority_gets_leadership()
    {
        Assert.Equal(new PreferenceDecision(PreferenceVerdict.Transfer, "a"), Decide("b", [M("a", 10), M("b", 0), M("c", 0)]));
    }

    [Fact]
    public void The_best_member_is_the_target_and_the_first_listed_wins_a_tie()
    {
        Assert.Equal("c", Decide("a", [M("a", 1), M("b", 5), M("c", 9)]).Target);
        Assert.Equal("b", Decide("a", [M("a", 1), M("b", 9), M("c", 9)]).Target);
    }

    [Fact]
    public void A_leader_of_the_highest_priority_or_of_equal_priority_stays()
    {
        Assert.Equal(PreferenceVerdict.NoBetterMember, Decide("a", [M("a", 10), M("b", 5), M("c", 0)]).Verdict);
        Assert.Equal(PreferenceVerdict.NoBetterMember, Decide("a", [M("a", 10), M("b", 10)]).Verdict);
        Assert.Equal(PreferenceVerdict.NoBetterMember, Decide("a", [M("a", 0), M("b", 0), M("c", 0)]).Verdict);
    }

    [Theory]
    [InlineData(1000, true)]
    [InlineData(1000 - LeaderPreferenceRules.CatchUpSlack, true)]
    [InlineData(1000 - LeaderPreferenceRules.CatchUpSlack - 1, false)]
    [InlineData(0, false)]
    public void Only_a_member_within_the_slack_of_the_commit_index_is_caught_up(long match, bool caughtUp)
    {
        Assert.Equal(caughtUp, LeaderPreferenceRules.IsCaughtUp(match, 1000));
        var decision = Decide("b", [M("a", 10, match), M("b", 0)], commit: 1000);
        Assert.Equal(caughtUp ? new PreferenceDecision(PreferenceVerdict.Transfer, "a") : new PreferenceDecision(PreferenceVerdict.Lagging, "a"), decision);
    }

    [Fact]
    public void An_unavailable_preferred_member_is_never_the_target_even_with_a_current_match_index()
    {
        Assert.Equal(new PreferenceDecision(PreferenceVerdict.Lagging, "a"), Decide("b", [M("a", 10, available: false), M("b", 0)]));
    }

    [Fact]
    public void A_lagging_best_member_is_waited_for_rather_than_handing_over_to_a_second_best()
    {
        Assert.Equal(new PreferenceDecision(PreferenceVerdict.Lagging, "a"), Decide("c", [M("a", 10, match: 10), M("b", 5), M("c", 0)]));
    }

    [Fact]
    public void No_transfer_while_one_is_in_flight()
    {
        Assert.Equal(PreferenceVerdict.TransferInFlight, Decide("b", [M("a", 10), M("b", 0)], inFlight: true).Verdict);
    }

    [Fact]
    public void No_transfer_while_the_membership_changes()
    {
        Assert.Equal(new PreferenceDecision(PreferenceVerdict.MembershipChanging, "a"), Decide("b", [M("a", 10), M("b", 0)], settled: false));
    }

    [Fact]
    public void No_transfer_during_a_backoff_and_one_once_it_is_over()
    {
        Assert.Equal(PreferenceVerdict.BackingOff, Decide("b", [M("a", 10), M("b", 0)], backoffUntil: Now.AddMilliseconds(1)).Verdict);
        Assert.Equal(PreferenceVerdict.Transfer, Decide("b", [M("a", 10), M("b", 0)], backoffUntil: Now).Verdict);
    }

    [Fact]
    public void The_backoff_doubles_after_each_failure_up_to_a_minute_and_a_success_starts_it_over()
    {
        var backoff = new TransferBackoff();
        Assert.Equal(DateTimeOffset.MinValue, backoff.Until);
        var waits = new List<TimeSpan>();
        for (var i = 0; i < 8; i++)
        {
            backoff.Failed(Now);
            waits.Add(backoff.Until - Now);
        }

        Assert.Equal([2, 4, 8, 16, 32, 60, 60, 60], waits.Select(w => (int)w.TotalSeconds));
        backoff.Succeeded();
        Assert.Equal(DateTimeOffset.MinValue, backoff.Until);
        backoff.Failed(Now);
        Assert.Equal(TransferBackoff.First, backoff.Until - Now);
    }

    [Fact]
    public void Priority_is_read_from_the_node_config_absent_is_0_and_it_renders_back_the_same()
    {
        var json = """
            { "self": "a", "members": [
              { "id": "a", "region": "r1", "raft": "http://127.0.0.1:7001/", "public": "http://127.0.0.1:5001/", "priority": 10 },
              { "id": "b", "region": "r2", "raft": "http://127.0.0.1:7002/", "public": "http://127.0.0.1:5002/" },
              { "id": "c", "region": "r3", "raft": "http://127.0.0.1:7003/", "public": "http://127.0.0.1:5003/", "priority": 0 } ] }
            """;
        var config = NodeConfigLoader.Parse(json);
        Assert.Equal([10, 0, 0], config.Members.Select(m => m.Priority));
        Assert.Equal("a", config.Preferred?.Id);
        var rendered = NodeConfigLoader.Render(config);
        Assert.Equal(config, NodeConfigLoader.Parse(rendered), new ConfigComparer());
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(rendered, "\"priority\"")); // 0 is not written: old configs render unchanged
        Assert.Null(NodeConfigLoader.Parse(json.Replace("\"priority\": 10", "\"priority\": 0", StringComparison.Ordinal)).Preferred);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("1001")]
    [InlineData("1.5")]
    [InlineData("\"5\"")]
    [InlineData("true")]
    public void A_bad_priority_stops_the_node_with_a_message_naming_it(string priority)
    {
        var json = $$"""{ "self": "a", "members": [ { "id": "a", "region": "r", "raft": "http://127.0.0.1:7001/", "public": "http://127.0.0.1:5001/", "priority": {{priority}} } ] }""";
        var message = Assert.Throws<NodeConfigException>(() => NodeConfigLoader.Parse(json)).Message;
        Assert.Contains("'priority'", message, StringComparison.Ordinal);
        Assert.Contains("0 to 1000", message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_priority_out_of_range_in_code_is_refused_by_validation()
    {
        var member = new ClusterMember("a", "r", new Uri("http://127.0.0.1:7001/"), new Uri("http://127.0.0.1:5001/"), Priority: 5000);
        Assert.Contains("'priority' 5000", Assert.Throws<NodeConfigException>(() => NodeConfigLoader.Validate(new NodeConfig("a", [member]))).Message, StringComparison.Ordinal);
    }

    private sealed class ConfigComparer : IEqualityComparer<NodeConfig>
    {
        public bool Equals(NodeConfig? x, NodeConfig? y) => x!.Self == y!.Self && x.Members.SequenceEqual(y.Members);

        public int GetHashCode(NodeConfig obj) => obj.Self.GetHashCode(StringComparison.Ordinal);
    }
}
