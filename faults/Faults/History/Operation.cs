namespace GeoLedger.Faults.History;

/// <summary>One client operation on one key, as the fault runner records it.</summary>
public sealed record Operation
{
    /// <summary>Unique id of the operation within its history.</summary>
    public required long Id { get; init; }

    /// <summary>The client (logical process) that issued the operation.</summary>
    public required int Client { get; init; }

    /// <summary>The key the operation touched; the checker verifies each key on its own.</summary>
    public required string Key { get; init; }

    /// <summary>What the operation asked for.</summary>
    public required OperationKind Kind { get; init; }

    /// <summary>The value written by a write or cas; null for reads and deletes.</summary>
    public string? Value { get; init; }

    /// <summary>For a cas: the value the key must hold for the cas to take effect; null when <see cref="ExpectedAbsent"/>.</summary>
    public string? Expected { get; init; }

    /// <summary>For a cas: true for create-only (the key must be absent).</summary>
    public bool ExpectedAbsent { get; init; }

    /// <summary>Monotonic clock reading, in nanoseconds, taken just before the request was sent.</summary>
    public required long InvokeNs { get; init; }

    /// <summary>Monotonic clock reading, in nanoseconds, taken when the answer arrived; null if none ever did.</summary>
    public long? CompleteNs { get; init; }

    /// <summary>What the client learned about the operation's effect.</summary>
    public required OperationOutcome Outcome { get; init; }

    /// <summary>For an ok read: the value read, or null when the key was absent.</summary>
    public string? Result { get; init; }

    /// <summary>For an ok write or cas: the revision its answer carried (the watch check finds the write there); null otherwise.</summary>
    public long? Revision { get; init; }
}
