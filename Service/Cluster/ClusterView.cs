using System.Diagnostics;
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;
using GeoLedger.Storage;
using Microsoft.AspNetCore.Connections;

namespace GeoLedger.Cluster;

/// <summary>Answers "who leads, who am I, how is everyone" in terms of the node config's members.</summary>
public sealed class ClusterView
{
    private readonly IRaftCluster cluster;
    private readonly NodeTopology topology;
    private readonly LedgerLog log;
    private readonly LeaderSuspicion suspicion;
    private readonly MemberDirectory directory;

    /// <summary>A view of <paramref name="cluster"/> whose leader is trusted as <paramref name="suspicion"/> says; members are named by <paramref name="directory"/>.</summary>
    public ClusterView(IRaftCluster cluster, NodeTopology topology, LedgerLog log, LeaderSuspicion suspicion, MemberDirectory directory)
    {
        this.cluster = cluster;
        this.directory = directory;
        this.topology = topology;
        this.log = log;
        this.suspicion = suspicion;
        cluster.LeaderChanged += (_, leader) =>
        {
            if (leader is not null)
                suspicion.Heard();
        };
    }

    /// <summary>The node config.</summary>
    public NodeConfig Config => topology.Config;

    /// <summary>This member.</summary>
    public ClusterMember Self => topology.Self;

    /// <summary>The .NEXT cluster.</summary>
    public IRaftCluster Raft => cluster;

    /// <summary>The current term.</summary>
    public long Term => cluster.Term;

    /// <summary>Index of the last entry this node knows committed.</summary>
    public long CommitIndex => log.CommitIndex;

    /// <summary>Every entry up to here is on this node's disk.</summary>
    public long DurableIndex => log.DurableIndex;

    /// <summary>
    /// As leader: the index up to which <paramref name="member"/>'s log matches this node's and is on its
    /// disk (this node's own durable index for itself; 0 before the member acknowledged anything).
    /// </summary>
    public long MatchIndexOf(ClusterMember member) =>
        member.Id == Self.Id ? log.DurableIndex : log.Acknowledged.GetValueOrDefault(ReplicationProbe.MemberKey(member.Raft));

    /// <summary>Index of the last entry this node applied.</summary>
    public long AppliedIndex => log.AppliedIndex;

    /// <summary>The leader as a member of the node config, or null when none is known.</summary>
    public ClusterMember? Leader => cluster.Leader is { } leader ? MemberOf(leader) : null;

    /// <summary>True when this node is the leader now.</summary>
    public bool IsLeader => cluster.Leader is { IsRemote: false } && !cluster.LeadershipToken.IsCancellationRequested;

    /// <summary>Ready: a leader is known and this node applied everything it knows committed.</summary>
    public bool IsReady => Leader is not null && AppliedIndex >= CommitIndex;

    /// <summary>
    /// How long a request (a write, a read index) that arrives mid-election, or while the leader may
    /// have just died, waits for a leader before it answers 503 (nothing is attempted meanwhile).
    /// </summary>
    public static readonly TimeSpan ElectionPatience = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The leader to send a request to: the current one unless it is suspect; otherwise the first one
    /// known and not suspect within <see cref="ElectionPatience"/> (the suspect leader heard from again, a
    /// newly elected one, or this node). Requests that arrive mid-election, or while the leader may have
    /// just died, wait for it instead of failing at once or being sent to a dead address. Null when no
    /// leader is known at the end; the suspect leader when it is still the only one known.
    /// </summary>
    public async Task<IClusterMember?> WaitForLeaderAsync(CancellationToken token)
    {
        if (TrustedLeader() is { } leader)
            return leader;
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            // Woken by .NEXT's leader-changed event and by every accepted message from the leader (no polling).
            var change = suspicion.NextChange();
            if (TrustedLeader() is { } trusted)
                return trusted;
            var remaining = ElectionPatience - Stopwatch.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero)
                return cluster.Leader;
            try
            {
                await change.WaitAsync(remaining, token).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return cluster.Leader;
            }
        }
    }

    private IClusterMember? TrustedLeader() => cluster.Leader is { } leader && (!leader.IsRemote || !suspicion.IsSuspect) ? leader : null;

    /// <summary>
    /// Each voting member (.NEXT's current configuration) with its status as this node sees it; a member not yet
    /// described (added at runtime, its description not fetched yet) is named by its Raft endpoint.
    /// </summary>
    public IEnumerable<(ClusterMember Member, string Status)> Members() =>
        cluster.Members
            .Select(member => (MemberOf(member) ?? Undescribed(member), member.IsRemote ? StatusName(member.Status) : "available"))
            .Where(m => m.Item1 is not null)
            .Select(m => (m.Item1!, m.Item2))
            .OrderBy(m => m.Item1.Id, StringComparer.Ordinal);

    /// <summary>True when this node is one of the voting members of its current configuration.</summary>
    public bool IsVoter => cluster.Members.Any(m => !m.IsRemote);

    /// <summary>A .NEXT member as a described member, or null when its description is not known.</summary>
    public ClusterMember? MemberOf(IClusterMember member) => member.EndPoint switch
    {
        UriEndPoint uri => directory.Find(uri.Uri),
        _ => null,
    };

    private static ClusterMember? Undescribed(IClusterMember member) =>
        member.EndPoint is UriEndPoint uri ? new ClusterMember(ReplicationProbe.MemberKey(uri.Uri), "unknown", uri.Uri, uri.Uri) : null;

    private static string StatusName(ClusterMemberStatus status) => status switch
    {
        ClusterMemberStatus.Available => "available",
        ClusterMemberStatus.Unavailable => "unavailable",
        _ => "unknown",
    };
}
