namespace GeoLedger.Cluster;

/// <summary>One member as the leader sees it when it weighs a transfer.</summary>
/// <param name="Id">The member id.</param>
/// <param name="Priority">Its priority in the node config.</param>
/// <param name="MatchIndex">Up to where its log matches the leader's and is on its disk.</param>
/// <param name="Available">Whether .NEXT's last exchange with it succeeded.</param>
public readonly record struct MemberProgress(string Id, int Priority, long MatchIndex, bool Available);

/// <summary>Why the leader does or does not hand leadership over now.</summary>
public enum PreferenceVerdict
{
    /// <summary>Hand leadership to <see cref="PreferenceDecision.Target"/>.</summary>
    Transfer,

    /// <summary>No member has a higher priority than this leader.</summary>
    NoBetterMember,

    /// <summary>A transfer is under way.</summary>
    TransferInFlight,

    /// <summary>The membership is changing (or changes were paused around): no transfer until it settles.</summary>
    MembershipChanging,

    /// <summary>A transfer failed not long ago: waiting out the backoff.</summary>
    BackingOff,

    /// <summary>The best member, <see cref="PreferenceDecision.Target"/>, is unreachable or behind the commit index.</summary>
    Lagging,
}

/// <summary>A verdict and, for <see cref="PreferenceVerdict.Transfer"/> and <see cref="PreferenceVerdict.Lagging"/>, the member it is about.</summary>
public readonly record struct PreferenceDecision(PreferenceVerdict Verdict, string? Target = null);

/// <summary>
/// When a leader hands leadership to a member of higher priority: the pure rules, apart from the Raft machinery that
/// carries a transfer out (<see cref="LeaderPreference"/>), so that tests can weigh every case.
/// </summary>
public static class LeaderPreferenceRules
{
    /// <summary>
    /// How far a member's match index may be behind the leader's commit index and still count as caught up: an entry or
    /// a batch in flight under load, not a member replaying a backlog (which would stall writes once it leads).
    /// </summary>
    public const long CatchUpSlack = 64;

    /// <summary>Whether a member at <paramref name="matchIndex"/> is caught up with a leader that has committed <paramref name="commitIndex"/>.</summary>
    public static bool IsCaughtUp(long matchIndex, long commitIndex) => matchIndex >= commitIndex - CatchUpSlack;

    /// <summary>
    /// The leader <paramref name="self"/>'s decision: transfer to the member of highest priority above its own (the first
    /// listed among equals) when no transfer is in flight, the membership is settled, no backoff runs, and that member
    /// is available and caught up. Only the best member is considered: handing leadership to a second-best member that
    /// happens to be caught up would move it twice.
    /// </summary>
    public static PreferenceDecision Decide(
        string self, IReadOnlyList<MemberProgress> members, long commitIndex, bool transferInFlight, bool membershipSettled, DateTimeOffset now, DateTimeOffset backoffUntil)
    {
        if (transferInFlight)
            return new(PreferenceVerdict.TransferInFlight);
        var own = members.FirstOrDefault(m => m.Id == self).Priority;
        MemberProgress? best = null;
        foreach (var member in members)
        {
            if (member.Id != self && member.Priority > own && (best is null || member.Priority > best.Value.Priority))
                best = member;
        }

        if (best is not { } target)
            return new(PreferenceVerdict.NoBetterMember);
        if (!membershipSettled)
            return new(PreferenceVerdict.MembershipChanging, target.Id);
        if (now < backoffUntil)
            return new(PreferenceVerdict.BackingOff, target.Id);
        if (!target.Available || !IsCaughtUp(target.MatchIndex, commitIndex))
            return new(PreferenceVerdict.Lagging, target.Id);
        return new(PreferenceVerdict.Transfer, target.Id);
    }
}

/// <summary>The wait after a failed transfer: 2 s, doubling up to a minute; a success starts over.</summary>
public sealed class TransferBackoff
{
    /// <summary>The wait after the first failure.</summary>
    public static readonly TimeSpan First = TimeSpan.FromSeconds(2);

    /// <summary>The longest wait.</summary>
    public static readonly TimeSpan Longest = TimeSpan.FromMinutes(1);

    private TimeSpan next = First;

    /// <summary>No transfer starts before this.</summary>
    public DateTimeOffset Until { get; private set; } = DateTimeOffset.MinValue;

    /// <summary>A transfer failed at <paramref name="now"/>: wait, and wait longer after the next failure.</summary>
    public void Failed(DateTimeOffset now)
    {
        Until = now + next;
        next = next * 2 > Longest ? Longest : next * 2;
    }

    /// <summary>A transfer succeeded: the next failure waits <see cref="First"/> again.</summary>
    public void Succeeded()
    {
        next = First;
        Until = DateTimeOffset.MinValue;
    }
}
