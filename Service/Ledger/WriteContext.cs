namespace GeoLedger.Ledger;

/// <summary>
/// Travels with a log entry from the leader's write handler to its state machine (.NEXT passes an
/// input entry's context through to apply on the same node) and carries the apply outcome back.
/// </summary>
public sealed class WriteContext
{
    private ApplyResult? result;

    /// <summary>The outcome, once the entry was applied on this node.</summary>
    public ApplyResult? Result => Volatile.Read(ref result);

    /// <summary>Called by the state machine when the entry is applied.</summary>
    public void Complete(ApplyResult outcome) => Volatile.Write(ref result, outcome);
}
