using GeoLedger.Ledger.Transactions;
using GeoLedger.Storage;
using Microsoft.Extensions.Logging;

namespace GeoLedger.Ledger;

/// <summary>
/// Applies committed log entries to the <see cref="LedgerStore"/>, in log order, on the log's one
/// applier; reports each outcome to the write that proposed it (its <see cref="WriteContext"/>).
/// </summary>
public sealed class LedgerStateMachine(LedgerStore store, ILogger<LedgerStateMachine> logger)
{
    private long undecodable;

    /// <summary>The store this machine applies to.</summary>
    public LedgerStore Store { get; } = store;

    /// <summary>
    /// A pause before applying each entry this node did not append itself as leader (entries without
    /// a write context); only the cluster tests set it, to hold a follower behind its commit index.
    /// </summary>
    public TimeSpan FollowerApplyDelay { get; init; }

    /// <summary>A pause before applying every entry; only tests set it, to make writes time out.</summary>
    public TimeSpan ApplyDelay { get; init; }

    /// <summary>Entries that could not be decoded and were applied as no-ops.</summary>
    public long UndecodableEntries => Interlocked.Read(ref undecodable);

    /// <summary>Applies the entry at <paramref name="index"/> (visible to readers after <see cref="Publish"/>).</summary>
    public async ValueTask ApplyAsync(long index, LogEntryFlags flags, ReadOnlyMemory<byte> payload, object? context, CancellationToken token)
    {
        var delay = context is null ? ApplyDelay + FollowerApplyDelay : ApplyDelay;
        if (delay > TimeSpan.Zero)
            await Task.Delay(delay, token).ConfigureAwait(false);

        if ((flags & LogEntryFlags.Configuration) != 0)
        {
            Store.Skip(index); // a membership change: it advances the revision and changes no key
            return;
        }

        if (payload.IsEmpty)
        {
            // A new leader's no-op changes nothing; an empty entry with a command id is a command without a body.
            if ((flags & LogEntryFlags.HasCommandId) != 0)
                Store.Skip(index);
            return;
        }

        LedgerCommand? command = null;
        TransactionCommand? transaction = null;
        try
        {
            if (TransactionCommand.IsTransaction(payload.Span))
                transaction = TransactionCommand.Decode(payload.Span);
            else
                command = LedgerCommand.Decode(payload.Span);
        }
        catch (InvalidDataException e)
        {
            // Every replica decodes the same bytes the same way, so all skip it alike: a skipped entry must not stop the cluster.
            Interlocked.Increment(ref undecodable);
            LogMessages.UndecodableEntry(logger, index, e.Message);
            Store.Skip(index);
            return;
        }

        var result = transaction is null ? Store.Apply(index, command!) : Store.ApplyTransaction(index, transaction);
        (context as WriteContext)?.Complete(result);
    }

    /// <summary>Makes what was applied visible to readers and snapshots.</summary>
    public void Publish() => Store.Publish();

    /// <summary>Replaces the state with a snapshot's.</summary>
    public void Restore(SnapshotContent snapshot, string source)
    {
        Store.Reset(snapshot.State.Keys, snapshot.State.Revision);
        LogMessages.SnapshotRestored(logger, snapshot.Index, snapshot.State.Keys.Count, source);
    }
}
