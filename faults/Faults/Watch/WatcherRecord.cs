namespace GeoLedger.Faults.Watch;

/// <summary>Everything one watcher saw in a run.</summary>
public sealed record WatcherRecord
{
    /// <summary>The watcher's number.</summary>
    public required int Id { get; init; }

    /// <summary>The last event id it received: every change under the prefix through this revision was sent to it.</summary>
    public required long Reached { get; init; }

    /// <summary>Why it stopped before the end of the run (every node answered 410), or null.</summary>
    public string? GaveUp { get; init; }

    /// <summary>Oddities of the stream itself (an id going backwards, an id that is not the event's revision).</summary>
    public required IReadOnlyList<string> Anomalies { get; init; }

    /// <summary>The changes it received, in the order they arrived.</summary>
    public required IReadOnlyList<WatchDelivery> Deliveries { get; init; }

    /// <summary>Its connection attempts, in order.</summary>
    public required IReadOnlyList<WatchConnection> Connections { get; init; }
}
