namespace GeoLedger.Faults.Watch;

/// <summary>What a delivered change did to its key.</summary>
public enum WatchChangeKind
{
    /// <summary>The key was written.</summary>
    Put,

    /// <summary>The key was removed.</summary>
    Delete,
}

/// <summary>One change a watcher received, as it arrived (one per key of a <c>change</c> event).</summary>
public sealed record WatchDelivery
{
    /// <summary>The watcher that received it.</summary>
    public required int Watcher { get; init; }

    /// <summary>The watcher's connection (1, 2, ...) it arrived on.</summary>
    public required int Connection { get; init; }

    /// <summary>The node that served the connection.</summary>
    public required string Node { get; init; }

    /// <summary>Monotonic clock reading (the history's clock), in nanoseconds, when the event was read.</summary>
    public required long AtNs { get; init; }

    /// <summary>The change's revision (the event's id).</summary>
    public required long Revision { get; init; }

    /// <summary>The key changed.</summary>
    public required string Key { get; init; }

    /// <summary>Put or delete.</summary>
    public required WatchChangeKind Kind { get; init; }

    /// <summary>A put's value as the history writes values (a JSON string's text, else the raw JSON); null for a delete.</summary>
    public string? Value { get; init; }

    /// <summary>The key's revision before the change; 0 when it was absent.</summary>
    public required long PreviousRevision { get; init; }
}
