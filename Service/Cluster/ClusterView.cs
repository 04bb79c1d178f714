using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Microsoft.AspNetCore.Connections;

namespace GeoLedger.Cluster;

/// <summary>Answers "who leads, who am I, how is everyone" in terms of the node config's members.</summary>
public sealed class ClusterView(IRaftCluster cluster, NodeTopology topology, WriteAheadLog log)
{
    /// <summary>The node config.</summary>
    public NodeConfig Config => topology.Config;

    /// <summary>This member.</summary>
    public ClusterMember Self => topology.Self;

    /// <summary>The .NEXT cluster.</summary>
    public IRaftCluster Raft => cluster;

    /// <summary>The current term.</summary>
    public long Term => cluster.Term;

    /// <summary>Index of the last entry this node knows committed.</summary>
    public long CommitIndex => log.LastCommittedEntryIndex;

    /// <summary>Index of the last entry this node applied.</summary>
    public long AppliedIndex => log.LastAppliedIndex;

    /// <summary>The leader as a member of the node config, or null when none is known.</summary>
    public ClusterMember? Leader => cluster.Leader is { } leader ? MemberOf(leader) : null;

    /// <summary>True when this node is the leader now.</summary>
    public bool IsLeader => cluster.Leader is { IsRemote: false } && !cluster.LeadershipToken.IsCancellationRequested;

    /// <summary>Ready: a leader is known and this node applied everything it knows committed.</summary>
    public bool IsReady => Leader is not null && AppliedIndex >= CommitIndex;

    /// <summary>
    /// The current leader, or the first one elected within <paramref name="patience"/>; null when none
    /// appears. Requests that arrive mid-election wait for it instead of failing at once.
    /// </summary>
    public async Task<IClusterMember?> WaitForLeaderAsync(TimeSpan patience, CancellationToken token)
    {
        if (cluster.Leader is { } leader)
            return leader;
        var elected = new TaskCompletionSource<IClusterMember>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLeaderChanged(ICluster sender, IClusterMember? member)
        {
            if (member is not null)
                elected.TrySetResult(member);
        }

        cluster.LeaderChanged += OnLeaderChanged;
        try
        {
            return cluster.Leader ?? await elected.Task.WaitAsync(patience, token).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return null;
        }
        finally
        {
            cluster.LeaderChanged -= OnLeaderChanged;
        }
    }

    /// <summary>Each member with its status as this node sees it.</summary>
    public IEnumerable<(ClusterMember Member, string Status)> Members()
    {
        var statuses = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var member in cluster.Members)
        {
            if (MemberOf(member) is { } m)
                statuses[m.Id] = member.IsRemote ? StatusName(member.Status) : "available";
        }

        return Config.Members.Select(m => (m, statuses.GetValueOrDefault(m.Id, "unknown")));
    }

    private ClusterMember? MemberOf(IClusterMember member) => member.EndPoint switch
    {
        UriEndPoint uri => Config.FindByRaft(uri.Uri),
        _ => null,
    };

    private static string StatusName(ClusterMemberStatus status) => status switch
    {
        ClusterMemberStatus.Available => "available",
        ClusterMemberStatus.Unavailable => "unavailable",
        _ => "unknown",
    };
}
