namespace GeoLedger.Ledger;

/// <summary>What a write requires of the key's current state, checked when the entry is applied.</summary>
public enum PreconditionKind : byte
{
    /// <summary>No requirement.</summary>
    None = 0,

    /// <summary><c>If-Match: "rev"</c>: the key exists with exactly this revision.</summary>
    RevisionEquals = 1,

    /// <summary><c>If-Match: *</c>: the key exists.</summary>
    Exists = 2,

    /// <summary><c>If-None-Match: *</c>: the key does not exist (create only).</summary>
    Absent = 3,
}

/// <summary>A write's precondition.</summary>
/// <param name="Kind">What is required.</param>
/// <param name="Revision">The revision for <see cref="PreconditionKind.RevisionEquals"/>; otherwise 0.</param>
public readonly record struct Precondition(PreconditionKind Kind, long Revision = 0)
{
    /// <summary>No precondition.</summary>
    public static Precondition None => default;

    /// <summary>True when a key in <paramref name="current"/> state satisfies this precondition.</summary>
    public bool HoldsFor(LedgerEntry? current) => Kind switch
    {
        PreconditionKind.None => true,
        PreconditionKind.RevisionEquals => current is not null && current.Revision == Revision,
        PreconditionKind.Exists => current is not null,
        PreconditionKind.Absent => current is null,
        _ => false,
    };
}
