using System.Globalization;

namespace GeoLedger.Infra.Plan;

/// <summary>The geo Raft profile: the <c>Raft:*</c> timeouts every node of the cluster gets.</summary>
/// <param name="RttMs">The largest median round trip between two of the cluster's regions.</param>
/// <param name="LowerElectionMs"><c>Raft:lowerElectionTimeout</c>.</param>
/// <param name="UpperElectionMs"><c>Raft:upperElectionTimeout</c>.</param>
/// <param name="Rpc"><c>Raft:rpcTimeout</c>.</param>
/// <param name="Request"><c>Raft:requestTimeout</c>.</param>
/// <param name="HeartbeatThreshold"><c>Raft:heartbeatThreshold</c>: heartbeat period as a fraction of the lower election timeout.</param>
public sealed record RaftTimeouts(int RttMs, int LowerElectionMs, int UpperElectionMs, TimeSpan Rpc, TimeSpan Request, double HeartbeatThreshold)
{
    /// <summary>The heartbeat period the leader keeps: <see cref="HeartbeatThreshold"/> of the lower election timeout.</summary>
    public TimeSpan HeartbeatPeriod => TimeSpan.FromMilliseconds(LowerElectionMs * HeartbeatThreshold);

    // Geo profile from the worst round trip R (ms): lower election = max(1000, 10·R), upper = 2·lower,
    // heartbeat = 0.3·lower (≥ 3·R, so a beat is never shorter than a few round trips and an election
    // needs ≥ 3 missed beats), rpcTimeout = max(1 s, 4·R) (a log chunk plus its answer with room for
    // a slow follower catching up), requestTimeout = 2·upper (never cuts a request shorter than an election).

    /// <summary>Derives the profile from the worst round trip between two of the cluster's regions.</summary>
    public static RaftTimeouts ForRtt(int rttMs)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rttMs);
        var lower = Math.Max(1000, 10 * rttMs);
        var upper = 2 * lower;
        var rpc = TimeSpan.FromMilliseconds(Math.Max(1000, 4 * rttMs));
        var request = TimeSpan.FromMilliseconds(2 * upper);
        return new RaftTimeouts(rttMs, lower, upper, rpc, request, 0.3);
    }

    /// <summary>The worst round trip among every pair of <paramref name="regions"/>; <paramref name="maxRttMs"/> fills pairs the table lacks.</summary>
    /// <exception cref="PlanException">A pair is missing from the table and <c>maxRttMs</c> is not set.</exception>
    public static int WorstRtt(IReadOnlyList<string> regions, int? maxRttMs)
    {
        var worst = 1;
        for (var i = 0; i < regions.Count; i++)
        {
            for (var j = i + 1; j < regions.Count; j++)
            {
                var rtt = RegionRtt.Lookup(regions[i], regions[j]) ?? maxRttMs
                    ?? throw new PlanException("maxRttMs", $"the round trip between {regions[i]} and {regions[j]} is not in the checked-in table (Infra/Plan/RegionRtt.cs): set maxRttMs to the worst median round trip, in milliseconds, between your regions");
                worst = Math.Max(worst, rtt);
            }
        }

        return worst;
    }

    /// <summary>The settings as the service's environment variables (<c>Raft__*</c>), invariant culture.</summary>
    public IEnumerable<KeyValuePair<string, string>> ToEnvironment()
    {
        yield return new("Raft__lowerElectionTimeout", LowerElectionMs.ToString(CultureInfo.InvariantCulture));
        yield return new("Raft__upperElectionTimeout", UpperElectionMs.ToString(CultureInfo.InvariantCulture));
        yield return new("Raft__rpcTimeout", Rpc.ToString("c", CultureInfo.InvariantCulture));
        yield return new("Raft__requestTimeout", Request.ToString("c", CultureInfo.InvariantCulture));
        yield return new("Raft__heartbeatThreshold", HeartbeatThreshold.ToString(CultureInfo.InvariantCulture));
    }
}
