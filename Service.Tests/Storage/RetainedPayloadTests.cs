using System.Text;
using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using GeoLedger.Ledger;
using GeoLedger.Tests.Ledger;

namespace GeoLedger.Tests.Storage;

/// <summary>
/// Which payloads the log keeps in memory for replication and apply: a leader's own writes (an array its writer
/// encoded and handed over), never what a follower received (.NEXT may reuse that buffer once the append returns).
/// </summary>
public sealed class RetainedPayloadTests
{
    [Fact]
    public async Task A_leader_keeps_its_writes_for_replication_and_a_follower_keeps_nothing_it_received()
    {
        using var leaderFolder = new TempFolder();
        using var followerFolder = new TempFolder();
        await using var leader = await OneNodeLog.OpenAsync(leaderFolder.Path);
        await using var follower = await OneNodeLog.OpenAsync(followerFolder.Path);
        var payload = LedgerCommand.Put("k", Encoding.UTF8.GetBytes("\"" + new string('v', 1000) + "\"")).Encode();
        var (index, _) = await leader.ApplyAsync(new EncodedProposal(payload));

        Assert.Equal(new string('v', 1000), Encoding.UTF8.GetString(leader.Store.Get("k")!.Value).Trim('"'));
        Assert.Equal(payload.Length, leader.Log.RetainedBytes);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await ((IPersistentState)follower.Log).UpdateTermAsync(leader.Term + 5, resetLastVote: true, timeout.Token);
        var sent = new IRaftLogEntry[] { new BinaryLogEntry { Content = payload, Term = leader.Term + 5 } };
        await ((IAuditTrail<IRaftLogEntry>)follower.Log).AppendAsync(new LogEntryProducer<IRaftLogEntry>(sent), startIndex: follower.Log.LastIndex + 1, skipCommitted: true, timeout.Token);
        Assert.Equal(0, follower.Log.RetainedBytes);
        Assert.True(index > 0);
    }

    /// <summary>A proposal whose payload is a given array (what <see cref="LedgerWriter"/> hands to .NEXT).</summary>
    private sealed class EncodedProposal(byte[] payload) : ILedgerProposal
    {
        public string Subject => "k";

        public byte[] Encode() => payload;
    }
}
