using GeoLedger.Storage;
using Microsoft.AspNetCore.Connections;

namespace GeoLedger.Cluster;

/// <summary>
/// When the read-index witness (<see cref="ReadIndex"/>) may count, with membership changing at runtime. The
/// argument needs the asking node and the leader to be a majority of every configuration that could elect a
/// later leader. Single-member changes make any majority of one configuration meet any majority of the next,
/// so that holds when the asker votes in the leader's configuration and that configuration is at most one
/// change behind the newest committed one: the leader has applied every entry of earlier terms (a newly
/// elected leader may still be applying several changes committed before it).
/// </summary>
public sealed class MembershipWitness(ClusterView view, LedgerLog log)
{
    private readonly Lock gate = new();
    private (long Term, long FirstOwnIndex) leadership; // guarded by gate

    /// <summary>
    /// The member count to judge the witness by: the leader's configuration size when it may count, otherwise
    /// <see cref="int.MaxValue"/> (no witness; the full barrier runs).
    /// </summary>
    public int CountFor(string? askerRaft)
    {
        if (askerRaft is null || !Uri.TryCreate(askerRaft, UriKind.Absolute, out var asker))
            return int.MaxValue;
        var members = view.Raft.Members;
        if (!members.Any(m => m.IsRemote && m.EndPoint is UriEndPoint uri && NodeConfigLoader.SameEndpoint(uri.Uri, asker)))
            return int.MaxValue;

        var term = view.Term;
        long boundary;
        lock (gate)
        {
            // Read on the first request of a term: every entry of earlier terms is at or below the log's end then.
            if (leadership.Term != term)
                leadership = (term, log.LastIndex);
            boundary = leadership.FirstOwnIndex;
        }

        return log.AppliedIndex >= boundary ? members.Count : int.MaxValue;
    }
}
