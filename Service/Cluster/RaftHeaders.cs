namespace GeoLedger.Cluster;

/// <summary>Headers of .NEXT 6.12's HTTP Raft transport that GeoLedger reads (not part of its public API).</summary>
internal static class RaftHeaders
{
    /// <summary>The message's name: RequestVote, PreVote, AppendEntries, InstallSnapshot, ...</summary>
    public const string MessageType = "X-Raft-Message-Type";

    /// <summary>The sender's term on a request; the receiver's term on its answer.</summary>
    public const string Term = "X-Raft-Term";
}
