namespace GeoLedger.Ledger;

/// <summary>What <see cref="LedgerWriter"/> replicates as one log entry: a single-key command or a transaction.</summary>
public interface ILedgerProposal
{
    /// <summary>What the write is about, for logs (a key, or a transaction's size).</summary>
    string Subject { get; }

    /// <summary>The log entry payload.</summary>
    byte[] Encode();
}
