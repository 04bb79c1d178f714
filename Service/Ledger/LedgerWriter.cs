using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;
using GeoLedger.Cluster;
using GeoLedger.Storage;
using Microsoft.Extensions.Options;

namespace GeoLedger.Ledger;

/// <summary>
/// Replicates one command per log entry and reports the applied outcome. Leadership is checked
/// before anything is appended, so "not leader" always means "not attempted"; any failure after
/// that point is reported as unknown, never as a redirect.
/// </summary>
public sealed class LedgerWriter(ClusterView view, DiskSpace disk, IOptions<LedgerOptions> options, ILogger<LedgerWriter> logger)
{
    private readonly TimeSpan timeout = TimeSpan.FromMilliseconds(options.Value.WriteTimeoutMs);

    /// <summary>Writes <paramref name="command"/> (a single-key command or a transaction) through Raft, as one log entry.</summary>
    public async Task<WriteOutcome> WriteAsync(ILedgerProposal command, CancellationToken aborted)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        deadline.CancelAfter(timeout);
        IClusterMember? leader;
        try
        {
            leader = await view.WaitForLeaderAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            leader = null;
        }

        // The leader just waited for, not view.Leader read again: an election starting in between would turn a 307 into a 503.
        if (leader is null || leader.IsRemote)
            return new WriteOutcome.NotLeader(leader is null ? null : view.MemberOf(leader));
        if (!view.IsLeader && !await AwaitLeadershipAsync(deadline.Token).ConfigureAwait(false))
            return new WriteOutcome.NotLeader(null);

        if (disk.IsFull(out var detail))
            return new WriteOutcome.DiskFull(detail);

        var context = new WriteContext();
        try
        {
            await view.Raft.ReplicateAsync(command.Encode(), context, deadline.Token).ConfigureAwait(false);
        }
        catch (NotLeaderOfTermException)
        {
            // Refused before anything was appended: leadership moved on between the check above and the append.
            return new WriteOutcome.NotLeader(null);
        }
        catch (IOException e) when (DiskSpace.IsDiskFull(e))
        {
            // The append itself failed, so nothing is in the log: not attempted.
            return new WriteOutcome.DiskFull($"The disk of this node's data folder is full ({e.Message}).");
        }
        catch (Exception e) when (e is OperationCanceledException or NotLeaderException or TimeoutException or InvalidOperationException or ObjectDisposedException or IOException)
        {
            var reason = e switch
            {
                NotLeaderException => "leadership was lost before the commit was seen",
                OperationCanceledException when aborted.IsCancellationRequested => "the client went away",
                OperationCanceledException => $"commit not seen within {timeout.TotalMilliseconds:0} ms",
                _ => e.GetType().Name,
            };
            LogMessages.WriteOutcomeUnknown(logger, command.Subject, reason);
            return new WriteOutcome.Unknown(reason);
        }

        return context.Result is { } result
            ? new WriteOutcome.Applied(result)
            : new WriteOutcome.Unknown("the entry was applied without reporting its outcome");
    }

    /// <summary>
    /// A newly elected leader takes writes once its term's first entry is committed and applied;
    /// until then the write waits (nothing is appended), and gives up as "not attempted".
    /// </summary>
    private async Task<bool> AwaitLeadershipAsync(CancellationToken token)
    {
        try
        {
            var leadership = await view.Raft.WaitForLeadershipAsync(token).ConfigureAwait(false);
            return !leadership.IsCancellationRequested;
        }
        catch (Exception e) when (e is OperationCanceledException or QuorumUnreachableException or ObjectDisposedException)
        {
            return false;
        }
    }
}
