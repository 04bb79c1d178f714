namespace GeoLedger.Ledger;

/// <summary>How applying a command turned out.</summary>
public enum ApplyStatus
{
    /// <summary>The command took effect.</summary>
    Applied,

    /// <summary>The precondition did not hold; nothing changed.</summary>
    PreconditionFailed,

    /// <summary>A delete found no key; nothing changed.</summary>
    NotFound,
}

/// <summary>The outcome of one applied command, identical on every node.</summary>
/// <param name="Status">What happened.</param>
/// <param name="Entry">The key after a put; the key as it was when a precondition failed; null otherwise.</param>
/// <param name="Index">The log index the command was applied at.</param>
public sealed record ApplyResult(ApplyStatus Status, LedgerEntry? Entry, long Index)
{
    /// <summary>For a transaction (whose status is always <see cref="ApplyStatus.Applied"/>): the branch taken and each operation's result.</summary>
    public Transactions.TransactionResult? Transaction { get; init; }
}
