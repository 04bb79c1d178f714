namespace GeoLedger.Faults.Watch;

/// <summary>One attempt of a watcher to stream: where, from which revision, what the node answered and why it ended.</summary>
public sealed record WatchConnection
{
    /// <summary>The watcher.</summary>
    public required int Watcher { get; init; }

    /// <summary>1 for the first attempt, then counting.</summary>
    public required int Number { get; init; }

    /// <summary>The node asked.</summary>
    public required string Node { get; init; }

    /// <summary>Monotonic clock reading, in nanoseconds, when the request was sent.</summary>
    public required long OpenedNs { get; init; }

    /// <summary>The revision asked to start from (<c>fromRevision</c>, or <c>Last-Event-ID</c> + 1 on a resume).</summary>
    public required long From { get; init; }

    /// <summary>The HTTP status of the answer; 0 when none arrived.</summary>
    public required int Status { get; init; }

    /// <summary>Why the connection ended (or was refused), in words.</summary>
    public required string Ended { get; init; }

    /// <summary>For a 410 or a <c>gone</c> event: the oldest revision the node still had.</summary>
    public long? OldestRevision { get; init; }
}
