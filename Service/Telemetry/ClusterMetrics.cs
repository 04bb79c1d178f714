using System.Diagnostics.Metrics;
using GeoLedger.Cluster;
using GeoLedger.Ledger;

namespace GeoLedger.Telemetry;

/// <summary>
/// The instruments read from the cluster's state when metrics are collected (leader, term, indexes, each member's
/// replication lag), and the leader-change count. Created once the Raft cluster exists (after the state is restored).
/// </summary>
internal sealed class ClusterMetrics
{
    private readonly ClusterView view;
    private readonly LedgerMetrics metrics;

    public ClusterMetrics(ClusterView view, LedgerMetrics metrics, LedgerStore store, LedgerStateMachine machine)
    {
        this.view = view;
        this.metrics = metrics;
        var meter = metrics.Meter;
        meter.CreateObservableGauge("geoledger.raft.has_leader", () => view.Leader is null ? 0 : 1, "{bool}", "1 when this node knows a leader, else 0.");
        meter.CreateObservableGauge("geoledger.raft.is_leader", () => view.IsLeader ? 1 : 0, "{bool}", "1 when this node is the leader, else 0.");
        meter.CreateObservableGauge("geoledger.raft.term", () => view.Term, "{term}", "The current Raft term.");
        meter.CreateObservableGauge("geoledger.raft.commit_index", () => view.CommitIndex, "{entry}", "Index of the last log entry this node knows committed.");
        meter.CreateObservableGauge("geoledger.raft.applied_index", () => view.AppliedIndex, "{entry}", "Index of the last log entry this node applied.");
        meter.CreateObservableGauge("geoledger.raft.replication.lag", ObserveLag, "{entry}",
            "On the leader, per member: entries in the leader's log past the member's last reported log end.");
        metrics.KeysSource = () => store.Count;
        meter.CreateObservableCounter("geoledger.log.undecodable_entries", () => machine.UndecodableEntries, "{entry}",
            "Committed log entries this node could not decode and applied as no-ops (a command format it does not know; see docs/durability.md).");
        view.Raft.LeaderChanged += (_, leader) =>
        {
            if (leader is null)
                return;
            metrics.LeaderChanged();
            if (!leader.IsRemote)
                metrics.ForgetMemberProgress(); // a new leadership: no member has reported to it yet
        };
    }

    /// <summary>Lag per remote member, only while this node leads; a member that has not answered this leader counts from 0.</summary>
    private IEnumerable<Measurement<long>> ObserveLag()
    {
        if (!view.IsLeader)
            return [];
        var last = view.Raft.AuditTrail.LastEntryIndex;
        var progress = metrics.MemberProgress.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        return view.Config.Members
            .Where(m => m.Id != view.Self.Id)
            .Select(m => new Measurement<long>(Math.Max(0, last - progress.GetValueOrDefault(m.Id)), new KeyValuePair<string, object?>("geoledger.member", m.Id)))
            .ToList();
    }
}
