namespace GeoLedger.Ledger.Transactions;

/// <summary>What one operation of a transaction does.</summary>
public enum TxnOperationKind : byte
{
    /// <summary>Set the key's value.</summary>
    Put = 1,

    /// <summary>Remove the key (nothing happens when it is absent).</summary>
    Delete = 2,

    /// <summary>Read the key as the transaction's earlier operations left it.</summary>
    Get = 3,
}

/// <summary>One operation of a transaction's success or failure branch.</summary>
/// <param name="Kind">What it does.</param>
/// <param name="Key">The key.</param>
/// <param name="Value">The minified JSON text for a put; empty otherwise.</param>
public sealed record TxnOperation(TxnOperationKind Kind, string Key, byte[] Value)
{
    /// <summary>A put.</summary>
    public static TxnOperation Put(string key, byte[] value) => new(TxnOperationKind.Put, key, value);

    /// <summary>A delete.</summary>
    public static TxnOperation Delete(string key) => new(TxnOperationKind.Delete, key, []);

    /// <summary>A get.</summary>
    public static TxnOperation Get(string key) => new(TxnOperationKind.Get, key, []);
}

/// <summary>What one operation did.</summary>
/// <param name="Kind">The operation.</param>
/// <param name="Key">Its key.</param>
/// <param name="Entry">After a put: the key as written; after a get: the key as read (null when absent); null after a delete.</param>
/// <param name="Deleted">After a delete: whether the key existed.</param>
public sealed record TxnOperationResult(TxnOperationKind Kind, string Key, LedgerEntry? Entry, bool Deleted);

/// <summary>How a transaction turned out.</summary>
/// <param name="Succeeded">True when every compare held and the success branch ran; false when the failure branch ran.</param>
/// <param name="Results">One result per operation of the branch that ran, in order.</param>
public sealed record TransactionResult(bool Succeeded, IReadOnlyList<TxnOperationResult> Results);
