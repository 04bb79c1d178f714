using GeoLedger.Cluster;

namespace GeoLedger.Ledger;

/// <summary>How a write request ended, as the HTTP layer needs to know it.</summary>
public abstract record WriteOutcome
{
    /// <summary>Not attempted: this node is not the leader (<paramref name="Leader"/> is null when none is known).</summary>
    public sealed record NotLeader(ClusterMember? Leader) : WriteOutcome;

    /// <summary>Committed and applied; <paramref name="Result"/> says what the command did.</summary>
    public sealed record Applied(ApplyResult Result) : WriteOutcome;

    /// <summary>The entry may have been appended but its commit was not seen in time: outcome unknown.</summary>
    public sealed record Unknown(string Reason) : WriteOutcome;

    /// <summary>Not attempted: the disk of this node's data folder is (nearly) full; <paramref name="Detail"/> says how full.</summary>
    public sealed record DiskFull(string Detail) : WriteOutcome;
}
