using System.Reflection;
using System.Text;
using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using GeoLedger.Ledger;
using GeoLedger.Storage;
using GeoLedger.Tests.Ledger;

namespace GeoLedger.Tests.Storage;

/// <summary>
/// A leader that steps down while a write is on its way to the log. .NEXT's
/// <c>ReplicateAsync(payload, context)</c> tags the entry with the node's term read at that moment, and
/// appends it through the leader state it still holds: when the node has just taken the new leader's
/// term, its own write carries the new leader's term. Found by the fault suite (seed 5962179612410666768):
/// the old leader, SIGSTOPped with five writes in flight, resumed, took term 49 from the new leader and
/// appended those five writes with term 49; the new leader's own entries at the same indexes had term 49 too,
/// so log matching took the old leader's entries for the new leader's, and the old leader applied writes the
/// cluster never committed (its watch stream and reads then differed from every other member's).
/// </summary>
public sealed class StaleLeaderAppendTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly TempFolder oldLeaderFolder = new();
    private readonly TempFolder newLeaderFolder = new();

    public void Dispose()
    {
        oldLeaderFolder.Dispose();
        newLeaderFolder.Dispose();
    }

    private static byte[] Json(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public async Task A_write_reaching_the_log_after_its_leader_took_a_newer_term_is_refused_and_never_applied()
    {
        // Both members hold the same committed prefix: the term-1 leader's no-op and one write.
        await using var oldLeader = await OneNodeLog.OpenAsync(oldLeaderFolder.Path);
        await using var newLeader = await OneNodeLog.OpenAsync(newLeaderFolder.Path);
        foreach (var member in new[] { oldLeader, newLeader })
            await member.ApplyAsync(LedgerCommand.Put("k", Json("\"before\"")));
        Assert.Equal(2, oldLeader.Log.LastIndex);

        // The other member wins term 2: its no-op at 3, then a write at 4.
        await newLeader.LeadNewTermAsync();
        await newLeader.ApplyAsync(LedgerCommand.Put("k", Json("\"after\"")));

        // The old leader hears of term 2 (it steps down), while a client's write is still on its way in.
        await ((IPersistentState)oldLeader.Log).UpdateTermAsync(2, resetLastVote: true, CancellationToken.None);
        var stale = StepDownRace.Cluster(oldLeader.Log);
        NotLeaderOfTermException? refused = null;
        using (var timeout = new CancellationTokenSource(Timeout))
        {
            try
            {
                await stale.ReplicateAsync(LedgerCommand.Put("stale", Json("\"never committed\"")).Encode(), new WriteContext(), timeout.Token);
            }
            catch (NotLeaderOfTermException e)
            {
                refused = e;
            }
        }

        // The new leader replicates its entries 3 and 4 (after 2, which matches), as .NEXT's follower path does.
        IRaftLogEntry[] sent =
        [
            new EmptyLogEntry { Term = 2 },
            new BinaryLogEntry { Content = LedgerCommand.Put("k", Json("\"after\"")).Encode(), Term = 2 },
        ];
        using (var timeout = new CancellationTokenSource(Timeout))
        {
            IAuditTrail<IRaftLogEntry> follower = oldLeader.Log;
            await follower.AppendAsync(new LogEntryProducer<IRaftLogEntry>(sent), startIndex: 3, skipCommitted: true, timeout.Token);
            await follower.CommitAsync(4, timeout.Token);
            await follower.WaitForApplyAsync(4, timeout.Token);
        }

        // Without the refusal, the stale write sits at 3 with term 2, is taken for the new leader's no-op, and is applied.
        Assert.Null(oldLeader.Store.Get("stale"));
        Assert.Equal("\"after\"", Encoding.UTF8.GetString(oldLeader.Store.Get("k")!.Value));
        Assert.Equal(newLeader.Store.Get("k")!.Revision, oldLeader.Store.Get("k")!.Revision);
        Assert.NotNull(refused);
        Assert.Equal(2, refused.EntryTerm); // .NEXT tagged it with the term the node had just taken
    }

    [Fact]
    public async Task A_write_of_the_term_the_node_led_is_refused_once_the_node_took_a_newer_term()
    {
        await using var member = await OneNodeLog.OpenAsync(oldLeaderFolder.Path);
        await ((IPersistentState)member.Log).UpdateTermAsync(member.Term + 1, resetLastVote: true, CancellationToken.None);
        using var timeout = new CancellationTokenSource(Timeout);
        IAuditTrail<IRaftLogEntry> log = member.Log;

        await Assert.ThrowsAsync<NotLeaderOfTermException>(async () =>
            await log.AppendAsync(new BinaryLogEntry { Content = LedgerCommand.Put("k", Json("1")).Encode(), Term = member.Term }, timeout.Token));

        Assert.Equal(1, member.Log.LastIndex);
    }

    [Fact]
    public async Task A_node_that_wins_a_later_term_appends_again()
    {
        await using var member = await OneNodeLog.OpenAsync(oldLeaderFolder.Path);
        await ((IPersistentState)member.Log).UpdateTermAsync(member.Term + 1, resetLastVote: true, CancellationToken.None);

        await member.LeadNewTermAsync(); // term 3: its no-op starts the leadership
        var (index, result) = await member.ApplyAsync(LedgerCommand.Put("k", Json("1")));

        Assert.Equal(3, member.Term);
        Assert.Equal(ApplyStatus.Applied, result.Status);
        Assert.Equal(3, index); // no-op of term 1 at 1, of term 3 at 2
    }

    /// <summary>
    /// An <see cref="IRaftCluster"/> that still holds its leader state while its term has already moved
    /// on: its audit trail is the log (whose term .NEXT reads for the entry), and ReplicateAsync appends to
    /// the log as .NEXT's leader does. Only those two members are implemented.
    /// </summary>
    public class StepDownRace : DispatchProxy
    {
        private LedgerLog? log;

        public static IRaftCluster Cluster(LedgerLog log)
        {
            var cluster = Create<IRaftCluster, StepDownRace>();
            ((StepDownRace)(object)cluster).log = log;
            return cluster;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            var trail = log ?? throw new InvalidOperationException("no log");
            return targetMethod?.Name switch
            {
                "get_AuditTrail" => trail, // .NEXT's Term extension reads the log's term through it
                "ReplicateAsync" => new ValueTask(((IAuditTrail<IRaftLogEntry>)trail).AppendAsync((IRaftLogEntry)args![0]!, (CancellationToken)args[1]!).AsTask()),
                _ => throw new NotSupportedException(targetMethod?.Name),
            };
        }
    }
}
