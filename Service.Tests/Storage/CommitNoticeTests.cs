using System.Text;
using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using GeoLedger.Ledger;
using GeoLedger.Tests.Ledger;

namespace GeoLedger.Tests.Storage;

/// <summary>
/// A follower's side of a commit notice (<see cref="GeoLedger.Cluster.CommitNotices"/>): it commits what the leader
/// says is committed only when it is in the leader's term and holds that entry with that term.
/// </summary>
public sealed class CommitNoticeTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly TempFolder leaderFolder = new();
    private readonly TempFolder followerFolder = new();

    public void Dispose()
    {
        leaderFolder.Dispose();
        followerFolder.Dispose();
    }

    private static byte[] Json(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>The leader of term 2 wrote k at 3; the follower appended 2 and 3 but its commit index is still 1.</summary>
    private async Task<(OneNodeLog Leader, OneNodeLog Follower)> AppendedNotCommittedAsync()
    {
        var leader = await OneNodeLog.OpenAsync(leaderFolder.Path);
        var follower = await OneNodeLog.OpenAsync(followerFolder.Path);
        await leader.LeadNewTermAsync();
        await leader.ApplyAsync(LedgerCommand.Put("k", Json("\"v\"")));

        follower.Log.Members = () => [follower.Log.Self, "http://other-1:3262", "http://other-2:3262"]; // alone it is no majority
        using var timeout = new CancellationTokenSource(Timeout);
        await ((IPersistentState)follower.Log).UpdateTermAsync(2, resetLastVote: true, timeout.Token);
        IRaftLogEntry[] sent = [new EmptyLogEntry { Term = 2 }, new BinaryLogEntry { Content = LedgerCommand.Put("k", Json("\"v\"")).Encode(), Term = 2 }];
        await ((IAuditTrail<IRaftLogEntry>)follower.Log).AppendAsync(new LogEntryProducer<IRaftLogEntry>(sent), startIndex: 2, skipCommitted: true, timeout.Token);
        Assert.Equal((3L, 1L), (follower.Log.LastIndex, follower.Log.CommitIndex));
        return (leader, follower);
    }

    [Fact]
    public async Task A_follower_holding_the_entry_with_the_leaders_term_commits_and_applies_it()
    {
        var (leader, follower) = await AppendedNotCommittedAsync();
        await using (leader)
        await using (follower)
        {
            var notice = leader.Log.CurrentCommitNotice();
            Assert.Equal((2L, 3L, 2L), (notice.Term, notice.Index, notice.EntryTerm));

            Assert.True(follower.Log.AcceptCommitNotice(notice.Term, notice.Index, notice.EntryTerm));

            using var timeout = new CancellationTokenSource(Timeout);
            await follower.Log.WaitForApplyAsync(3, timeout.Token);
            Assert.Equal("\"v\"", Encoding.UTF8.GetString(follower.Store.Get("k")!.Value));
            Assert.Equal(1, follower.Log.Calls.CommitNotice);
        }
    }

    [Theory]
    [InlineData(2, 3, 1)] // the entry there has another term: the follower's log may differ from the leader's
    [InlineData(3, 3, 2)] // a term the follower is not in
    [InlineData(1, 3, 2)] // a notice from an earlier term's leader
    [InlineData(2, 4, 2)] // beyond the follower's log
    public async Task A_notice_the_follower_cannot_match_commits_nothing(long term, long index, long entryTerm)
    {
        var (leader, follower) = await AppendedNotCommittedAsync();
        await using (leader)
        await using (follower)
        {
            Assert.False(follower.Log.AcceptCommitNotice(term, index, entryTerm));
            Assert.Equal(1, follower.Log.CommitIndex);
            Assert.Null(follower.Store.Get("k"));
        }
    }
}
