using System.Text;
using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using GeoLedger.Ledger;
using GeoLedger.Tests.Ledger;

namespace GeoLedger.Tests.Storage;

/// <summary>
/// Two one-node logs in folders of their own, as a leader of term 2 and a follower of three members in that term:
/// for the side channels beside .NEXT's replication (commit notices, entry pushes). Disposing deletes both folders.
/// </summary>
internal sealed class LeaderAndFollower : IDisposable
{
    /// <summary>How long a test's setup may take.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly TempFolder leaderFolder = new();
    private readonly TempFolder followerFolder = new();

    /// <summary>UTF-8 bytes of a JSON text.</summary>
    public static byte[] Json(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>
    /// Opens both: the leader leads term 2 (its no-op at 2) and applies <paramref name="leaderWrites"/>; the follower,
    /// which alone is no majority, enters term 2 holding <paramref name="followerEntries"/> from index 2 on, nothing committed past 1.
    /// </summary>
    public async Task<(OneNodeLog Leader, OneNodeLog Follower)> OpenAsync(LedgerCommand[] leaderWrites, IRaftLogEntry[] followerEntries, TimeSpan followerFlushDelay = default)
    {
        var leader = await OneNodeLog.OpenAsync(leaderFolder.Path);
        var follower = await OneNodeLog.OpenAsync(followerFolder.Path, flushDelay: followerFlushDelay);
        await leader.LeadNewTermAsync();
        foreach (var write in leaderWrites)
            await leader.ApplyAsync(write);

        follower.Log.Members = () => [follower.Log.Self, "http://other-1:3262", "http://other-2:3262"];
        using var timeout = new CancellationTokenSource(Timeout);
        await ((IPersistentState)follower.Log).UpdateTermAsync(2, resetLastVote: true, timeout.Token);
        await ((IAuditTrail<IRaftLogEntry>)follower.Log).AppendAsync(new LogEntryProducer<IRaftLogEntry>(followerEntries), startIndex: 2, skipCommitted: true, timeout.Token);
        Assert.Equal((1L + followerEntries.Length, 1L), (follower.Log.LastIndex, follower.Log.CommitIndex));
        return (leader, follower);
    }

    public void Dispose()
    {
        leaderFolder.Dispose();
        followerFolder.Dispose();
    }
}
