using DotNext.Net.Cluster.Consensus.Raft;
using GeoLedger.Cluster;
using Microsoft.Extensions.Options;

namespace GeoLedger.Ledger;

/// <summary>
/// Replicates one command per log entry and reports the applied outcome. Leadership is checked
/// before anything is appended, so "not leader" always means "not attempted"; any failure after
/// that point is reported as unknown, never as a redirect.
/// </summary>
public sealed class LedgerWriter(ClusterView view, IOptions<LedgerOptions> options, ILogger<LedgerWriter> logger)
{
    private readonly TimeSpan timeout = TimeSpan.FromMilliseconds(options.Value.WriteTimeoutMs);

    /// <summary>Writes <paramref name="command"/> through Raft.</summary>
    public async Task<WriteOutcome> WriteAsync(LedgerCommand command, CancellationToken aborted)
    {
        if (!view.IsLeader)
            return new WriteOutcome.NotLeader(view.Leader);

        var context = new WriteContext();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        deadline.CancelAfter(timeout);
        try
        {
            await view.Raft.ReplicateAsync(command.Encode(), context, deadline.Token).ConfigureAwait(false);
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
            LogMessages.WriteOutcomeUnknown(logger, command.Key, reason);
            return new WriteOutcome.Unknown(reason);
        }

        return context.Result is { } result
            ? new WriteOutcome.Applied(result)
            : new WriteOutcome.Unknown("the entry was applied without reporting its outcome");
    }
}
