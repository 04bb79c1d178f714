using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using GeoLedger.Cluster;
using GeoLedger.Ledger;
using GeoLedger.Tests.Ledger;

namespace GeoLedger.Tests.Storage;

/// <summary>
/// The log's side of acknowledgement datagrams (<see cref="AckDatagram"/>): a follower reports entries of the leader's term
/// once they are on its disk and only while its term has not moved; a leader counts a report only from a voting member,
/// in the term it leads, for an entry of that term it holds.
/// </summary>
public sealed class AckDatagramLogTests : IDisposable
{
    private static readonly TimeSpan Timeout = LeaderAndFollower.Timeout;
    private const string Member = "http://other-1:3262";
    private readonly TempFolder folder = new();
    private readonly LeaderAndFollower logs = new();

    public void Dispose()
    {
        folder.Dispose();
        logs.Dispose();
    }

    /// <summary>A leader of three members (the two others silent) holding <paramref name="writes"/> puts appended after its no-op, none committed.</summary>
    private async Task<(OneNodeLog Leader, long Last)> LeaderWithUncommittedAsync(int writes)
    {
        var leader = await OneNodeLog.OpenAsync(folder.Path);
        leader.Log.Members = () => [leader.Log.Self, Member, "http://other-2:3262"];
        using var timeout = new CancellationTokenSource(Timeout);
        var last = 0L;
        for (var i = 0; i < writes; i++)
            last = await ((IAuditTrail<IRaftLogEntry>)leader.Log).AppendAsync(new BinaryLogEntry { Content = LedgerCommand.Put($"k{i}", LeaderAndFollower.Json("1")).Encode(), Term = leader.Term }, timeout.Token);
        await leader.Log.FlushAsync(timeout.Token); // the leader's own copy is durable: one member's copy more is a majority
        Assert.True(leader.Log.CommitIndex < last);
        return (leader, last);
    }

    [Fact]
    public async Task A_members_report_for_an_entry_of_the_leaders_term_commits_it()
    {
        var (leader, last) = await LeaderWithUncommittedAsync(2);
        await using (leader)
        {
            Assert.True(leader.Log.RecordAckDatagram(Member, leader.Term, last));

            using var timeout = new CancellationTokenSource(Timeout);
            await leader.Log.WaitForApplyAsync(last, timeout.Token);
            Assert.Equal(last, leader.Log.CommitIndex);
            Assert.Equal(1, leader.Log.Calls.AckDatagram);
        }
    }

    [Theory]
    [InlineData(Member, -1, 0)] // an older term
    [InlineData(Member, 1, 0)] // a term this node does not lead
    [InlineData(Member, 0, 1)] // past the end of the log
    [InlineData("http://stranger:3262", 0, 0)] // not a member
    [InlineData("self", 0, 0)] // the leader itself
    public async Task A_report_the_leader_cannot_match_is_not_counted(string member, long termOffset, long indexOffset)
    {
        var (leader, last) = await LeaderWithUncommittedAsync(2);
        await using (leader)
        {
            Assert.False(leader.Log.RecordAckDatagram(member, leader.Term + termOffset, last + indexOffset));

            // Counted or not, the member's HTTP answer would decide; nothing was committed on this report.
            Assert.True(leader.Log.CommitIndex < last);
            Assert.Equal(0, leader.Log.Calls.AckDatagram);
        }
    }

    [Fact]
    public async Task A_follower_reports_pushed_and_appended_entries_once_they_are_durable_but_not_a_heartbeat()
    {
        var (leader, follower) = await logs.OpenAsync([LedgerCommand.Put("a", LeaderAndFollower.Json("1")), LedgerCommand.Put("b", LeaderAndFollower.Json("2"))], [new EmptyLogEntry { Term = 2 }]);
        await using (leader)
        await using (follower)
        {
            var reports = new List<(long Term, long Index)>();
            follower.Log.DurableForLeader = (term, index) =>
            {
                Assert.True(follower.Log.DurableIndex >= index, $"entry {index} was reported before it was on disk");
                reports.Add((term, index));
            };
            using var timeout = new CancellationTokenSource(Timeout);
            var batch = leader.Log.ReadForPush(2, 1024 * 1024)!;

            Assert.True(await follower.Log.AcceptPushAsync(batch.Term, batch.PrevIndex, batch.PrevTerm, batch.Entries[..1], timeout.Token));
            IAuditTrail<IRaftLogEntry> trail = follower.Log;
            await trail.AppendAsync(new LogEntryProducer<IRaftLogEntry>([new BinaryLogEntry { Content = batch.Entries[1].Payload, Term = 2 }]), startIndex: 4, skipCommitted: true, timeout.Token);
            await trail.AppendAsync(new LogEntryProducer<IRaftLogEntry>([]), startIndex: 5, skipCommitted: true, timeout.Token); // a heartbeat

            Assert.Equal([(2L, 3L), (2L, 4L)], reports);
        }
    }

    [Fact]
    public async Task A_follower_whose_term_moved_while_it_flushed_reports_nothing()
    {
        // As for a push's answer: a vote in the newer term may have gone to a candidate without these entries.
        var (leader, follower) = await logs.OpenAsync([LedgerCommand.Put("a", LeaderAndFollower.Json("1"))], [new EmptyLogEntry { Term = 2 }], followerFlushDelay: TimeSpan.FromSeconds(1));
        await using (leader)
        await using (follower)
        {
            var reports = 0;
            follower.Log.DurableForLeader = (_, _) => Interlocked.Increment(ref reports);
            using var timeout = new CancellationTokenSource(Timeout);
            var batch = leader.Log.ReadForPush(2, 1024 * 1024)!;
            var appending = ((IAuditTrail<IRaftLogEntry>)follower.Log).AppendAsync(
                new LogEntryProducer<IRaftLogEntry>([new BinaryLogEntry { Content = batch.Entries[0].Payload, Term = 2 }]), startIndex: 3, skipCommitted: true, timeout.Token).AsTask();
            Assert.False(appending.IsCompleted); // appended, waiting for its flush

            await ((IPersistentState)follower.Log).UpdateTermAsync(3, resetLastVote: true, timeout.Token);
            await appending;

            Assert.Equal(0, reports);
        }
    }
}
