namespace GeoLedger.Cluster;

/// <summary>How a membership change ended; <c>MembershipApi</c> maps each onto one HTTP answer.</summary>
public abstract record MembershipOutcome
{
    private MembershipOutcome()
    {
    }

    /// <summary>The change is committed and applied on the leader (or was already): the voting members now.</summary>
    public sealed record Done(IReadOnlyList<ClusterMember> Members) : MembershipOutcome;

    /// <summary>This node does not lead: the leader to redirect to, or null when none is known.</summary>
    public sealed record NotLeader(ClusterMember? Leader) : MembershipOutcome;

    /// <summary>409: another change is in flight, or the request contradicts the current members.</summary>
    public sealed record Conflict(string Title, string Detail) : MembershipOutcome;

    /// <summary>400: the request itself is wrong.</summary>
    public sealed record Invalid(string Title, string Detail) : MembershipOutcome;

    /// <summary>404: no member has this id.</summary>
    public sealed record NotFound(string Id) : MembershipOutcome;

    /// <summary>503: nothing was changed; safe to retry.</summary>
    public sealed record Unavailable(string Title, string Detail) : MembershipOutcome;

    /// <summary>504: the change may or may not have happened; retrying the same request is safe (changes are idempotent).</summary>
    public sealed record Unknown(string Reason) : MembershipOutcome;
}
