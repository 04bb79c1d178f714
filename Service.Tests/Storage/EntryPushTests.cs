using System.Text;
using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using GeoLedger.Cluster;
using GeoLedger.Ledger;
using GeoLedger.Storage;
using GeoLedger.Tests.Ledger;

namespace GeoLedger.Tests.Storage;

/// <summary>
/// Entries pushed beside .NEXT's replication (<see cref="EntryPush"/>): the leader reads what follows a member's matched
/// index, and a follower takes it only as an AppendEntries of the leader's term would be taken, acknowledging it only
/// once it is on disk and while its term has not moved.
/// </summary>
public sealed class EntryPushTests : IDisposable
{
    private static readonly TimeSpan Timeout = LeaderAndFollower.Timeout;
    private readonly LeaderAndFollower logs = new();

    public void Dispose() => logs.Dispose();

    private static byte[] Json(string text) => LeaderAndFollower.Json(text);

    /// <summary>The leader of term 2 holds its no-op at 2 and puts at 3 and 4; the follower, in term 2, holds up to 2.</summary>
    private async Task<(OneNodeLog Leader, OneNodeLog Follower)> FollowerAtTwoAsync(TimeSpan followerFlushDelay = default)
    {
        var (leader, follower) = await logs.OpenAsync([LedgerCommand.Put("a", Json("1")), LedgerCommand.Put("b", Json("2"))], [new EmptyLogEntry { Term = 2 }], followerFlushDelay);
        Assert.Equal(4L, leader.Log.LastIndex);
        return (leader, follower);
    }

    [Fact]
    public async Task The_leader_pushes_what_follows_the_matched_index_and_a_matching_follower_stores_it_durably()
    {
        var (leader, follower) = await FollowerAtTwoAsync();
        await using (leader)
        await using (follower)
        {
            var batch = leader.Log.ReadForPush(2, 1024 * 1024);

            Assert.NotNull(batch);
            Assert.Equal((2L, 2L, 2L, 2), (batch.Term, batch.PrevIndex, batch.PrevTerm, batch.Entries.Count));
            var decoded = EntryPush.Decode(EntryPush.Encode(batch.Entries), batch.Term, batch.Entries.Count);
            Assert.NotNull(decoded);
            using var timeout = new CancellationTokenSource(Timeout);
            Assert.True(await follower.Log.AcceptPushAsync(batch.Term, batch.PrevIndex, batch.PrevTerm, decoded, timeout.Token));
            Assert.Equal(4, follower.Log.LastIndex);
            Assert.Equal((2L, 2L), (follower.Log.TermAt(3), follower.Log.TermAt(4)));
            Assert.Equal(1, follower.Log.Calls.PushAccepted);

            // Committed by the leader's notice, the pushed entries apply like any others.
            Assert.Equal(CommitNoticeOutcome.Committed, follower.Log.AcceptCommitNotice(2, 4, 2));
            await follower.Log.WaitForApplyAsync(4, timeout.Token);
            Assert.Equal("2", Encoding.UTF8.GetString(follower.Store.Get("b")!.Value));
        }
    }

    [Theory]
    [InlineData(3, 2, 2)] // a push of a term this follower is not in
    [InlineData(2, 3, 2)] // the follower lacks the previous entry
    [InlineData(2, 2, 1)] // the follower's previous entry has another term
    public async Task A_push_the_follower_cannot_match_is_refused_and_stores_nothing(long term, long prevIndex, long prevTerm)
    {
        var (leader, follower) = await FollowerAtTwoAsync();
        await using (leader)
        await using (follower)
        {
            var batch = leader.Log.ReadForPush(2, 1024 * 1024)!;
            var entries = batch.Entries.ConvertAll(e => e with { Term = term });

            using var timeout = new CancellationTokenSource(Timeout);
            Assert.False(await follower.Log.AcceptPushAsync(term, prevIndex, prevTerm, entries, timeout.Token));
            Assert.Equal(2, follower.Log.LastIndex);
        }
    }

    [Fact]
    public async Task Entries_already_held_are_kept_and_what_follows_them_is_not_truncated()
    {
        var (leader, follower) = await FollowerAtTwoAsync();
        await using (leader)
        await using (follower)
        {
            using var timeout = new CancellationTokenSource(Timeout);
            var both = leader.Log.ReadForPush(2, 1024 * 1024)!;
            Assert.True(await follower.Log.AcceptPushAsync(2, 2, 2, both.Entries, timeout.Token));

            // An older push (or .NEXT's AppendEntries) carrying only entry 3 arrives after entries 3 and 4 were stored.
            Assert.True(await follower.Log.AcceptPushAsync(2, 2, 2, both.Entries[..1], timeout.Token));
            await ((IAuditTrail<IRaftLogEntry>)follower.Log).AppendAsync(new LogEntryProducer<IRaftLogEntry>([new EmptyLogEntry { Term = 2 }]), startIndex: 2, skipCommitted: true, timeout.Token);

            Assert.Equal(4, follower.Log.LastIndex);
        }
    }

    [Fact]
    public async Task A_push_is_not_acknowledged_when_the_followers_term_moved_while_it_was_flushed()
    {
        // A vote in the newer term may have gone to a candidate without these entries: counting them could lose them.
        var (leader, follower) = await FollowerAtTwoAsync(followerFlushDelay: TimeSpan.FromSeconds(1));
        await using (leader)
        await using (follower)
        {
            using var timeout = new CancellationTokenSource(Timeout);
            var batch = leader.Log.ReadForPush(2, 1024 * 1024)!;
            var accepting = follower.Log.AcceptPushAsync(batch.Term, batch.PrevIndex, batch.PrevTerm, batch.Entries, timeout.Token).AsTask();
            Assert.False(accepting.IsCompleted); // appended, waiting for its flush

            await ((IPersistentState)follower.Log).UpdateTermAsync(3, resetLastVote: true, timeout.Token);

            Assert.False(await accepting);
        }
    }

    [Fact]
    public async Task Nothing_is_pushed_past_the_end_of_the_log_or_by_a_node_that_does_not_lead_the_current_term()
    {
        var (leader, follower) = await FollowerAtTwoAsync();
        await using (leader)
        await using (follower)
        {
            Assert.Null(leader.Log.ReadForPush(4, 1024 * 1024)); // the member holds everything
            Assert.Null(follower.Log.ReadForPush(1, 1024 * 1024)); // the follower leads no term it is in

            using var timeout = new CancellationTokenSource(Timeout);
            await ((IPersistentState)leader.Log).UpdateTermAsync(3, resetLastVote: true, timeout.Token);
            Assert.Null(leader.Log.ReadForPush(2, 1024 * 1024)); // a newer term began: this node leads no more
        }
    }

    [Fact]
    public async Task The_leaders_older_terms_are_left_to_dotnext()
    {
        var (leader, follower) = await FollowerAtTwoAsync();
        await using (leader)
        await using (follower)
        {
            Assert.Null(leader.Log.ReadForPush(0, 1024 * 1024)); // entry 1 is of term 1
        }
    }

    [Theory]
    [InlineData(2)] // fewer entries than said
    [InlineData(0)]
    public void A_body_that_does_not_hold_exactly_the_entries_said_is_malformed(int count)
    {
        var body = EntryPush.Encode([new LogEntryInput(2, LogEntryFlags.None, 0, Json("{}"))]);

        Assert.Null(EntryPush.Decode(body, 2, count));
        Assert.Null(EntryPush.Decode(body.Concat(new byte[] { 0 }).ToArray(), 2, 1)); // a trailing byte
        Assert.Null(EntryPush.Decode(body[..^1], 2, 1)); // cut short
    }

    [Fact]
    public void A_pushed_configuration_or_unknown_flag_is_malformed()
    {
        Assert.Null(EntryPush.Decode(EntryPush.Encode([new LogEntryInput(2, LogEntryFlags.Configuration, 0, Json("{}"))]), 2, 1));
        Assert.Null(EntryPush.Decode(EntryPush.Encode([new LogEntryInput(2, (LogEntryFlags)8, 0, Json("{}"))]), 2, 1));
        Assert.NotNull(EntryPush.Decode(EntryPush.Encode([new LogEntryInput(2, LogEntryFlags.HasCommandId, 7, Json("{}"))]), 2, 1));
    }
}
