using System.Diagnostics;

namespace GeoLedger.Telemetry;

/// <summary>
/// GeoLedger's spans (activity source <see cref="SourceName"/>). <see cref="ActivitySource.StartActivity(string, ActivityKind)"/>
/// returns null when tracing is off, so a span costs nothing then.
/// </summary>
public static class LedgerTracing
{
    /// <summary>The activity source's name, as OpenTelemetry is told to collect it.</summary>
    public const string SourceName = "GeoLedger";

    /// <summary>The span of one write's replication: append, commit and apply on the leader.</summary>
    public const string Replicate = "geoledger.replicate";

    /// <summary>The span of a linearizable read's wait for a read index (a round to the leader on a follower).</summary>
    public const string ReadIndex = "geoledger.read_index";

    /// <summary>The source.</summary>
    public static ActivitySource Source { get; } = new(SourceName);

    /// <summary>Marks a step of the current replication span (<c>appended</c>, <c>committed</c>, <c>applied</c>), when there is one.</summary>
    /// <param name="step">The step's name.</param>
    /// <param name="index">The log index the step reached.</param>
    public static void Step(string step, long index)
    {
        if (Activity.Current is { } span && span.OperationName == Replicate)
            span.AddEvent(new ActivityEvent(step, tags: new ActivityTagsCollection { ["geoledger.log.index"] = index }));
    }
}
