namespace GeoLedger.Storage;

/// <summary>
/// Tells the log which member a replication read is for. The log sets one around the call it makes
/// into .NEXT's replication consumer; that call sends the AppendEntries or InstallSnapshot request,
/// in the same asynchronous flow, through GeoLedger's Raft HTTP handler, which records the address
/// it goes to. Public types only: no reflection into .NEXT.
/// </summary>
internal sealed class ReplicationProbe
{
    private static readonly AsyncLocal<ReplicationProbe?> Active = new();

    /// <summary>The member's Raft address (scheme, host and port), once the request was sent.</summary>
    public string? Member { get; private set; }

    /// <summary>Starts a probe for the calls made from here on in this asynchronous flow.</summary>
    public static ReplicationProbe Start()
    {
        var probe = new ReplicationProbe();
        Active.Value = probe;
        return probe;
    }

    /// <summary>Ends the probe of this flow.</summary>
    public static void Stop() => Active.Value = null;

    /// <summary>Called by the Raft HTTP handler for every request it sends.</summary>
    public static void Observe(Uri? requestUri)
    {
        if (Active.Value is { } probe && requestUri is not null)
            probe.Member = MemberKey(requestUri);
    }

    /// <summary>The key a member's Raft address is known by: scheme, host and port.</summary>
    public static string MemberKey(Uri raftAddress) => raftAddress.GetLeftPart(UriPartial.Authority).ToLowerInvariant();
}
