namespace GeoLedger.Faults.History;

/// <summary>What a client asked the ledger to do with one key.</summary>
public enum OperationKind
{
    /// <summary>GET: reads the key's value, or finds it absent.</summary>
    Read,

    /// <summary>PUT without preconditions: sets the key's value.</summary>
    Write,

    /// <summary>PUT with a precondition: sets the value only if the key holds <see cref="Operation.Expected"/> (or is absent, for create-only).</summary>
    Cas,

    /// <summary>DELETE: removes the key if it exists.</summary>
    Delete,
}
