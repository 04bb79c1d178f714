using GeoLedger.Cluster;
using GeoLedger.Ledger;
using GeoLedger.Telemetry;
using Microsoft.Extensions.Options;

namespace GeoLedger.Api;

/// <summary>Makes a read linearizable (a read index confirmed by the leader) or lets it read locally.</summary>
internal sealed class ReadGate(ReadIndex readIndex, IOptions<LedgerOptions> options)
{
    private readonly TimeSpan timeout = TimeSpan.FromMilliseconds(options.Value.ReadTimeoutMs);

    /// <summary>Null when the read may proceed; otherwise the 503 to answer.</summary>
    public async Task<IResult?> EnterAsync(HttpContext context, Consistency consistency)
    {
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
}
