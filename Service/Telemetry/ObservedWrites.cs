using System.Diagnostics;
using GeoLedger.Cluster;
using GeoLedger.Ledger;

namespace GeoLedger.Telemetry;

/// <summary>Runs a write through <see cref="LedgerWriter"/> inside the replication span, counting it as a proposal.</summary>
public static class ObservedWrites
{
    /// <summary>
    /// <see cref="LedgerWriter.WriteAsync"/> with telemetry: on the leader, the <see cref="LedgerTracing.Replicate"/> span
    /// (a child of the request's span) and the proposal counters. On a follower a write is redirected, not proposed.
    /// </summary>
    public static async Task<WriteOutcome> WriteObservedAsync(this LedgerWriter writer, ILedgerProposal command, HttpContext context)
    {
        if (context.RequestServices.GetRequiredService<ClusterView>().Raft.Leader is not { IsRemote: false })
            return await writer.WriteAsync(command, context.RequestAborted).ConfigureAwait(false);
        var metrics = context.RequestServices.GetRequiredService<LedgerMetrics>();
        using var span = LedgerTracing.Source.StartActivity(LedgerTracing.Replicate);
        using var pending = metrics.ProposalStarted();
        var outcome = await writer.WriteAsync(command, context.RequestAborted).ConfigureAwait(false);
        switch (outcome)
        {
            case WriteOutcome.Applied applied:
                metrics.ProposalCommitted();
                span?.SetTag("geoledger.outcome", applied.Result.Status.ToString());
                span?.SetTag("geoledger.log.index", applied.Result.Index);
                break;
            case WriteOutcome.Unknown unknown:
                metrics.ProposalFailed(ReasonOf(unknown));
                span?.SetStatus(ActivityStatusCode.Error, unknown.Reason);
                break;
            case WriteOutcome.NotLeader:
                span?.SetTag("geoledger.outcome", "NotLeader");
                break;
            case WriteOutcome.DiskFull:
                metrics.ProposalFailed("disk_full");
                span?.SetStatus(ActivityStatusCode.Error, "disk full");
                break;
        }

        return outcome;
    }

    /// <summary>A short, bounded label for why a write's outcome is unknown (the reason text itself varies).</summary>
    private static string ReasonOf(WriteOutcome.Unknown unknown) => unknown.Reason switch
    {
        var r when r.StartsWith("commit not seen", StringComparison.Ordinal) => "timeout",
        var r when r.StartsWith("leadership was lost", StringComparison.Ordinal) => "leader_lost",
        var r when r.StartsWith("the client went away", StringComparison.Ordinal) => "client_gone",
        _ => "other",
    };
}
