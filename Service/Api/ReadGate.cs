using GeoLedger.Cluster;
using GeoLedger.Ledger;
using GeoLedger.Telemetry;
using Microsoft.Extensions.Options;

namespace GeoLedger.Api;

/// <summary>
/// Makes a read linearizable (a read index confirmed by the leader), lets it read locally, or holds it until this node
/// has applied a revision (<see cref="RevisionReads"/>).
/// </summary>
internal sealed class ReadGate(ReadIndex readIndex, LedgerStore store, IOptions<LedgerOptions> options)
{
    private readonly TimeSpan timeout = TimeSpan.FromMilliseconds(options.Value.ReadTimeoutMs);

    /// <summary>
    /// Null when the read may proceed; otherwise the 503 to answer. With <paramref name="minRevision"/> the read waits
    /// (at most Ledger:ReadTimeoutMs) for this node to apply it and then reads locally, whatever <paramref name="consistency"/> says.
    /// </summary>
    public async Task<IResult?> EnterAsync(HttpContext context, Consistency consistency, long? minRevision = null)
    {
        if (minRevision is { } revision)
            return await WaitForRevisionAsync(context, revision).ConfigureAwait(false);
        if (consistency == Consistency.Local)
            return null;
        using var span = LedgerTracing.Source.StartActivity(LedgerTracing.ReadIndex);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        deadline.CancelAfter(timeout);
        try
        {
            await readIndex.WaitAsync(deadline.Token).ConfigureAwait(false);
            return null;
        }
        // A failed barrier changed nothing, so whatever the cause the answer is 503 (safe to retry).
        catch (Exception) when (!context.RequestAborted.IsCancellationRequested)
        {
            span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, "no read index");
            return Problems.Unavailable(context, "Linearizable read not possible now: retry, or use ?consistency=local",
                "This node could not confirm the leader's commit index in time (no leader, or a majority unreachable).");
        }
    }

    private async Task<IResult?> WaitForRevisionAsync(HttpContext context, long revision)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        deadline.CancelAfter(timeout);
        if (await RevisionReads.WaitForAsync(store, revision, deadline.Token).ConfigureAwait(false))
            return null;
        return Problems.Unavailable(context, "This node is behind minRevision: retry, or read from another node",
            $"This node has applied revision {store.Revision}; the read asked for at least {revision}, which it did not apply within {(int)timeout.TotalMilliseconds} ms (Ledger:ReadTimeoutMs).");
    }
}
