using GeoLedger.Cluster;

namespace GeoLedger.Tests.Cluster;

/// <summary>When the leader may answer a follower's read index from its commit index without a replication round.</summary>
public sealed class ReadIndexWitnessTests
{
    private const long CommitIndex = 42;

    private static long? Witnessed(string? askerTerm, long leaderTerm = 7, bool leading = true, int members = 3) =>
        ReadIndex.ParseTerm(askerTerm) is { } term ? ReadIndex.WitnessedCommitIndex(term, members, () => new CancellationToken(canceled: !leading), () => leaderTerm, () => CommitIndex) : null;

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void A_follower_in_the_leader_term_witnesses_it_and_gets_the_commit_index(int members) =>
        Assert.Equal(CommitIndex, Witnessed("7", members: members));

    [Theory]
    [InlineData("6")] // the follower has not caught up with this term: it is no witness
    [InlineData("8")] // the follower voted in a later term: this leader may be deposed
    [InlineData(null)]
    [InlineData("")]
    [InlineData("-7")]
    [InlineData("seven")]
    public void Any_other_term_or_none_means_the_full_barrier(string? askerTerm) =>
        Assert.Null(Witnessed(askerTerm));

    [Fact]
    public void A_leader_whose_term_entry_is_not_committed_yet_runs_the_full_barrier() =>
        Assert.Null(Witnessed("7", leading: false));

    [Fact]
    public void With_more_than_three_members_one_follower_is_not_a_majority_witness() =>
        Assert.Null(Witnessed("7", members: 5));

    [Fact]
    public void Leadership_lost_while_the_commit_index_is_read_means_the_full_barrier()
    {
        using var leadership = new CancellationTokenSource();
        Assert.Null(ReadIndex.WitnessedCommitIndex(7, 3, () => leadership.Token, () => 7, () =>
        {
            leadership.Cancel();
            return CommitIndex;
        }));
    }
}
