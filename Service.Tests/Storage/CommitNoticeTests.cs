using System.Text;
using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using GeoLedger.Ledger;
using GeoLedger.Storage;
using GeoLedger.Tests.Ledger;

namespace GeoLedger.Tests.Storage;

/// <summary>
/// A follower's side of a commit notice (<see cref="GeoLedger.Cluster.CommitNotices"/>): it commits what the leader
/// says is committed only when it holds that entry with that term.
/// </summary>
public sealed class CommitNoticeTests : IDisposable
{
    private static readonly TimeSpan Timeout = LeaderAndFollower.Timeout;
    private readonly LeaderAndFollower logs = new();

    public void Dispose() => logs.Dispose();

    private static IRaftLogEntry[] Sent => [new EmptyLogEntry { Term = 2 }, new BinaryLogEntry { Content = LedgerCommand.Put("k", Encoding.UTF8.GetBytes("\"v\"")).Encode(), Term = 2 }];

    /// <summary>The leader of term 2 wrote k at 3; the follower appended 2 and 3 (or only 2) but its commit index is still 1.</summary>
    private Task<(OneNodeLog Leader, OneNodeLog Follower)> AppendedNotCommittedAsync(int entries = 2) =>
        logs.OpenAsync([LedgerCommand.Put("k", LeaderAndFollower.Json("\"v\""))], Sent[..entries]);

    [Fact]
    public async Task A_follower_holding_the_entry_with_the_leaders_term_commits_and_applies_it()
    {
        var (leader, follower) = await AppendedNotCommittedAsync();
        await using (leader)
        await using (follower)
        {
            var notice = leader.Log.CurrentCommitNotice();
            Assert.Equal((2L, 3L, 2L), (notice.Term, notice.Index, notice.EntryTerm));

            Assert.Equal(CommitNoticeOutcome.Committed, follower.Log.AcceptCommitNotice(notice.Term, notice.Index, notice.EntryTerm));

            using var timeout = new CancellationTokenSource(Timeout);
            await follower.Log.WaitForApplyAsync(3, timeout.Token);
            Assert.Equal("\"v\"", Encoding.UTF8.GetString(follower.Store.Get("k")!.Value));
            Assert.Equal(1, follower.Log.Calls.CommitNotice);
        }
    }

    [Theory]
    [InlineData(2, 3, 1)] // the entry there has another term: the follower's log differs from the leader's there
    [InlineData(3, 3, 3)] // a later leader's notice, but the follower's entry is of term 2
    [InlineData(2, 2, 1)] // an earlier entry, of another term here
    public async Task A_notice_the_follower_cannot_match_commits_nothing(long term, long index, long entryTerm)
    {
        var (leader, follower) = await AppendedNotCommittedAsync();
        await using (leader)
        await using (follower)
        {
            Assert.Equal(CommitNoticeOutcome.Refused, follower.Log.AcceptCommitNotice(term, index, entryTerm));
            Assert.Equal(1, follower.Log.CommitIndex);
            Assert.Null(follower.Store.Get("k"));
        }
    }

    [Fact]
    public async Task A_notice_that_overtakes_its_entry_commits_it_when_the_entry_arrives()
    {
        var (leader, follower) = await AppendedNotCommittedAsync(entries: 1);
        await using (leader)
        await using (follower)
        {
            var notice = leader.Log.CurrentCommitNotice();
            Assert.Equal(CommitNoticeOutcome.Pending, follower.Log.AcceptCommitNotice(notice.Term, notice.Index, notice.EntryTerm));
            Assert.Equal(1, follower.Log.CommitIndex);

            using var timeout = new CancellationTokenSource(Timeout);
            await ((IAuditTrail<IRaftLogEntry>)follower.Log).AppendAsync(new LogEntryProducer<IRaftLogEntry>(Sent[1..]), startIndex: 3, skipCommitted: true, timeout.Token);

            await follower.Log.WaitForApplyAsync(3, timeout.Token);
            Assert.Equal("\"v\"", Encoding.UTF8.GetString(follower.Store.Get("k")!.Value));
        }
    }

    [Fact]
    public async Task A_kept_notice_commits_nothing_when_the_entry_that_arrives_has_another_term()
    {
        var (leader, follower) = await AppendedNotCommittedAsync(entries: 1);
        await using (leader)
        await using (follower)
        {
            Assert.Equal(CommitNoticeOutcome.Pending, follower.Log.AcceptCommitNotice(2, 3, entryTerm: 1));

            using var timeout = new CancellationTokenSource(Timeout);
            await ((IAuditTrail<IRaftLogEntry>)follower.Log).AppendAsync(new LogEntryProducer<IRaftLogEntry>(Sent[1..]), startIndex: 3, skipCommitted: true, timeout.Token);

            Assert.Equal((3L, 1L), (follower.Log.LastIndex, follower.Log.CommitIndex));
            Assert.Null(follower.Store.Get("k"));
        }
    }

    [Fact]
    public async Task A_notice_from_a_term_the_follower_has_not_heard_of_yet_commits_a_matching_entry()
    {
        var (leader, follower) = await AppendedNotCommittedAsync();
        await using (leader)
        await using (follower)
        {
            // The entry at 3 (term 2) is committed; a later leader (term 5) says so before this follower learned of term 5.
            Assert.Equal(CommitNoticeOutcome.Committed, follower.Log.AcceptCommitNotice(5, 3, entryTerm: 2));

            using var timeout = new CancellationTokenSource(Timeout);
            await follower.Log.WaitForApplyAsync(3, timeout.Token);
            Assert.Equal(3, follower.Log.CommitIndex);
        }
    }
}
