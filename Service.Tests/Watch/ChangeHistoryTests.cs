using System.Text;
using GeoLedger.Ledger;
using GeoLedger.Ledger.Transactions;
using GeoLedger.Ledger.Watch;

namespace GeoLedger.Tests.Watch;

/// <summary>The history watchers read: what the store records, the bounds, whole revisions, a reset.</summary>
public sealed class ChangeHistoryTests
{
    private static Change Put(long revision, string key, string value = "1") => new(revision, ChangeKind.Put, key, Encoding.UTF8.GetBytes(value), 0);

    [Fact]
    public void The_store_records_puts_deletes_and_transactions_with_their_previous_revisions_once_published()
    {
        var store = new LedgerStore();
        store.Apply(1, LedgerCommand.Put("a", "1"u8.ToArray()));
        store.Apply(2, LedgerCommand.Put("a", "2"u8.ToArray(), new Precondition(PreconditionKind.RevisionEquals, 9))); // refused: no change
        Assert.Empty(store.History.Read(1, 10, "")!);
        store.Publish();
        store.ApplyTransaction(3, new TransactionCommand([], [TxnOperation.Put("b", "3"u8.ToArray()), TxnOperation.Delete("a"), TxnOperation.Delete("none"), TxnOperation.Get("b")], []));
        store.Apply(4, LedgerCommand.Delete("b"));
        store.Publish();

        var changes = store.History.Read(1, 4, "")!;

        Assert.Equal(
            [(1L, ChangeKind.Put, "a", "1", 0L), (3, ChangeKind.Put, "b", "3", 0), (3, ChangeKind.Delete, "a", "", 1), (4, ChangeKind.Delete, "b", "", 3)],
            changes.Select(c => (c.Revision, c.Kind, c.Key, Encoding.UTF8.GetString(c.Value), c.PreviousRevision)));
    }

    [Fact]
    public void Reads_take_a_prefix_and_a_revision_range()
    {
        var history = new ChangeHistory(100, 1_000_000);
        history.Append([Put(1, "a/1"), Put(2, "b/1"), Put(3, "a/2"), Put(4, "a/3")]);

        Assert.Equal([3L], history.Read(2, 3, "a/")!.Select(c => c.Revision));
        Assert.Equal([1L, 3, 4], history.Read(1, 9, "a/")!.Select(c => c.Revision));
    }

    [Fact]
    public void Past_the_count_whole_revisions_go_and_older_reads_are_refused()
    {
        var history = new ChangeHistory(3, 1_000_000);
        history.Append([Put(1, "a"), Put(2, "b"), Put(2, "c"), Put(3, "d")]);

        Assert.Equal(3, history.Count); // revision 1 went, revision 2 kept whole
        Assert.Equal(2, history.OldestAvailable);
        Assert.Null(history.Read(1, 3, ""));
        Assert.Equal([2L, 2, 3], history.Read(2, 3, "")!.Select(c => c.Revision));

        history.Append([Put(4, "e")]); // four changes: revision 2 goes, both of its changes

        Assert.Equal(3, history.OldestAvailable);
        Assert.Equal([3L, 4], history.Read(3, 4, "")!.Select(c => c.Revision));
    }

    [Fact]
    public void Past_the_bytes_the_oldest_revisions_go()
    {
        var history = new ChangeHistory(100, 25);
        history.Append([Put(1, "a", new string('x', 10)), Put(2, "b", new string('y', 10)), Put(3, "c", new string('z', 10))]);

        Assert.Equal(2, history.OldestAvailable);
        Assert.Equal(2, history.Count);
    }

    [Fact]
    public void A_reset_starts_the_history_after_the_snapshot()
    {
        var history = new ChangeHistory(100, 1_000);
        history.Append([Put(1, "a"), Put(2, "b")]);

        history.Reset(40);

        Assert.Equal(41, history.OldestAvailable);
        Assert.Null(history.Read(2, 50, ""));
        Assert.Empty(history.Read(41, 50, "")!);
    }
}
