namespace GeoLedger.Faults.Workload;

/// <summary>What the nemesis tells the clients while a fault is on.</summary>
public sealed class WorkloadControl
{
    private volatile Uri? sabotageTarget;

    /// <summary>
    /// Only with <c>--sabotage</c>: a node cut off from the majority; reads go to it with
    /// consistency=local yet are recorded as linearizable, so the checker must find stale reads.
    /// </summary>
    public Uri? SabotageTarget
    {
        get => sabotageTarget;
        set => sabotageTarget = value;
    }
}
