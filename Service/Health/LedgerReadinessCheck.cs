using GeoLedger.Cluster;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GeoLedger.Health;

/// <summary>Ready: a leader is known and this node applied everything it knows committed.</summary>
internal sealed class LedgerReadinessCheck(ClusterView view) : IHealthCheck
{
    /// <summary>The tag of the checks <c>/readyz</c> runs.</summary>
    public const string Tag = "ready";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var leader = view.Leader;
        var applied = view.AppliedIndex;
        var committed = view.CommitIndex;
        var data = new Dictionary<string, object>
        {
            ["leader"] = leader?.Id ?? "",
            ["appliedIndex"] = applied,
            ["commitIndex"] = committed,
        };
        if (leader is null)
            return Task.FromResult(HealthCheckResult.Unhealthy("No leader is known yet.", data: data));
        return Task.FromResult(applied >= committed
            ? HealthCheckResult.Healthy("ready", data)
            : HealthCheckResult.Unhealthy($"Applied {applied} of {committed} committed entries.", data: data));
    }
}
