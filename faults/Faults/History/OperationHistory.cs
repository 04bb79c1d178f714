namespace GeoLedger.Faults.History;

/// <summary>Everything the clients of one fault run did, over all keys, in no particular order.</summary>
public sealed record OperationHistory
{
    /// <summary>The seed the run was generated from, so a failing run can be replayed.</summary>
    public required long Seed { get; init; }

    /// <summary>The recorded operations.</summary>
    public required IReadOnlyList<Operation> Operations { get; init; }

    /// <summary>Equal when the seeds match and the operations match one by one, in order.</summary>
    public bool Equals(OperationHistory? other) =>
        other is not null && Seed == other.Seed && Operations.SequenceEqual(other.Operations);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Seed, Operations.Count);
}
