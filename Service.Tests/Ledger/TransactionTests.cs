using System.Text;
using DotNext.Net.Cluster.Consensus.Raft;
using GeoLedger.Ledger;
using GeoLedger.Ledger.Transactions;

namespace GeoLedger.Tests.Ledger;

/// <summary>Transactions as one log entry: the encoding, what a node that predates them does, the compares, the branches, the revisions.</summary>
public sealed class TransactionTests : IDisposable
{
    private readonly TempFolder folder = new();

    public void Dispose() => folder.Dispose();

    private static byte[] Json(string text) => Encoding.UTF8.GetBytes(text);

    private static string Text(LedgerEntry? entry) => entry is null ? "<absent>" : Encoding.UTF8.GetString(entry.Value);

    private static TransactionCommand Sample() => new(
        [new TxnCompare("a/ключ", CompareTarget.Revision, CompareResult.Equal, 42, []), new TxnCompare("b", CompareTarget.Value, CompareResult.Greater, 0, Json("\"ü\"")), new TxnCompare("c", CompareTarget.Exists, CompareResult.NotEqual, 1, [])],
        [TxnOperation.Put("a/ключ", Json("{\"n\":[1,2]}")), TxnOperation.Delete("b"), TxnOperation.Get("c")],
        [TxnOperation.Get("a/ключ")]);

    [Fact]
    public void A_transaction_round_trips_and_its_length_is_what_it_encodes_to()
    {
        var command = Sample();

        var bytes = command.Encode();
        var decoded = TransactionCommand.Decode(bytes);

        Assert.Equal(command.EncodedLength, bytes.Length);
        Assert.Equal(command.Compare.Select(c => (c.Key, c.Target, c.Result, c.Number, Encoding.UTF8.GetString(c.Value))), decoded.Compare.Select(c => (c.Key, c.Target, c.Result, c.Number, Encoding.UTF8.GetString(c.Value))));
        Assert.Equal(command.Success.Select(o => (o.Kind, o.Key, Encoding.UTF8.GetString(o.Value))), decoded.Success.Select(o => (o.Kind, o.Key, Encoding.UTF8.GetString(o.Value))));
        Assert.Equal(command.Failure.Select(o => (o.Kind, o.Key, Encoding.UTF8.GetString(o.Value))), decoded.Failure.Select(o => (o.Kind, o.Key, Encoding.UTF8.GetString(o.Value))));
    }

    [Fact]
    public void A_node_that_predates_transactions_finds_the_entry_undecodable_so_it_skips_it()
    {
        // LedgerCommand.Decode is the whole decoder of a node before transactions: its InvalidDataException is the no-op path.
        var error = Assert.Throws<InvalidDataException>(() => LedgerCommand.Decode(Sample().Encode()));

        Assert.Contains("Unknown ledger command kind 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Single_key_commands_keep_their_encoding()
    {
        var put = LedgerCommand.Put("k", Json("1")).Encode();

        Assert.Equal([1, 1, 0], put[..3]);
        Assert.False(TransactionCommand.IsTransaction(put));
        Assert.False(TransactionCommand.IsTransaction(LedgerCommand.Delete("k").Encode()));
    }

    [Fact]
    public void Every_truncation_and_a_trailing_byte_are_refused()
    {
        var bytes = Sample().Encode();
        for (var length = 0; length < bytes.Length; length++)
            Assert.Throws<InvalidDataException>(() => TransactionCommand.Decode(bytes.AsSpan(0, length)));
        Assert.Throws<InvalidDataException>(() => TransactionCommand.Decode([.. bytes, 0]));
    }

    public static TheoryData<string?, CompareTarget, CompareResult, long, string, bool> Compares => new()
    {
        // key state ("rev:value", or null: absent), target, result, number, value, holds
        { "5:1", CompareTarget.Revision, CompareResult.Equal, 5, "", true },
        { "5:1", CompareTarget.Revision, CompareResult.Equal, 4, "", false },
        { "5:1", CompareTarget.Revision, CompareResult.NotEqual, 4, "", true },
        { "5:1", CompareTarget.Revision, CompareResult.Greater, 4, "", true },
        { "5:1", CompareTarget.Revision, CompareResult.Greater, 5, "", false },
        { "5:1", CompareTarget.Revision, CompareResult.Less, 6, "", true },
        { null, CompareTarget.Revision, CompareResult.Equal, 0, "", true },
        { null, CompareTarget.Revision, CompareResult.Less, 1, "", true },
        { "5:{\"a\":1}", CompareTarget.Value, CompareResult.Equal, 0, "{\"a\":1}", true },
        { "5:{\"a\":1}", CompareTarget.Value, CompareResult.Equal, 0, "{\"a\":2}", false },
        { "5:{\"a\":1}", CompareTarget.Value, CompareResult.NotEqual, 0, "{\"a\":2}", true },
        { "5:10", CompareTarget.Value, CompareResult.Greater, 0, "9.5", true },
        { "5:10", CompareTarget.Value, CompareResult.Less, 0, "9.5", false },
        { "5:10", CompareTarget.Value, CompareResult.Equal, 0, "10", true },
        { "5:\"b\"", CompareTarget.Value, CompareResult.Greater, 0, "\"a\"", true },
        { "5:\"b\"", CompareTarget.Value, CompareResult.Less, 0, "\"a\"", false },
        { "5:\"b\"", CompareTarget.Value, CompareResult.Greater, 0, "1", false },
        { "5:true", CompareTarget.Value, CompareResult.Less, 0, "false", false },
        { null, CompareTarget.Value, CompareResult.Equal, 0, "null", false },
        { null, CompareTarget.Value, CompareResult.NotEqual, 0, "null", false },
        { "5:1", CompareTarget.Exists, CompareResult.Equal, 1, "", true },
        { "5:1", CompareTarget.Exists, CompareResult.Equal, 0, "", false },
        { "5:1", CompareTarget.Exists, CompareResult.NotEqual, 0, "", true },
        { null, CompareTarget.Exists, CompareResult.Equal, 0, "", true },
        { null, CompareTarget.Exists, CompareResult.Equal, 1, "", false },
    };

    [Theory]
    [MemberData(nameof(Compares))]
    public void A_compare_holds_exactly_when_documented(string? state, CompareTarget target, CompareResult result, long number, string value, bool holds)
    {
        LedgerEntry? entry = null;
        if (state is not null)
        {
            var parts = state.Split(':', 2);
            entry = new LedgerEntry("k", Json(parts[1]), long.Parse(parts[0]));
        }

        Assert.Equal(holds, new TxnCompare("k", target, result, number, Json(value)).HoldsFor(entry));
    }

    [Fact]
    public async Task When_every_compare_holds_the_success_branch_runs_in_order_and_every_write_carries_the_entry_index()
    {
        await using var log = await OneNodeLog.OpenAsync(folder.Path);
        var (a, _) = await log.ApplyAsync(LedgerCommand.Put("a", Json("100")));
        var (b, _) = await log.ApplyAsync(LedgerCommand.Put("b", Json("5")));

        var (index, result) = await log.ApplyAsync(new TransactionCommand(
            [new TxnCompare("a", CompareTarget.Revision, CompareResult.Equal, a, []), new TxnCompare("b", CompareTarget.Revision, CompareResult.Equal, b, [])],
            [TxnOperation.Put("a", Json("90")), TxnOperation.Put("b", Json("15")), TxnOperation.Get("a"), TxnOperation.Delete("gone"), TxnOperation.Put("c", Json("1")), TxnOperation.Delete("c"), TxnOperation.Get("c")],
            [TxnOperation.Put("failed", Json("1"))]));

        var txn = result.Transaction!;
        Assert.True(txn.Succeeded);
        Assert.Equal(index, result.Index);
        Assert.Equal(
            [(TxnOperationKind.Put, "a", "90", index, false), (TxnOperationKind.Put, "b", "15", index, false), (TxnOperationKind.Get, "a", "90", index, false),
             (TxnOperationKind.Delete, "gone", "<absent>", 0, false), (TxnOperationKind.Put, "c", "1", index, false), (TxnOperationKind.Delete, "c", "<absent>", 0, true),
             (TxnOperationKind.Get, "c", "<absent>", 0, false)],
            txn.Results.Select(r => (r.Kind, r.Key, Text(r.Entry), r.Entry?.Revision ?? 0, r.Deleted)));
        Assert.Equal(("90", index), (Text(log.Store.Get("a")), log.Store.Get("a")!.Revision));
        Assert.Equal(("15", index), (Text(log.Store.Get("b")), log.Store.Get("b")!.Revision));
        Assert.Null(log.Store.Get("c"));
        Assert.Null(log.Store.Get("failed"));
        Assert.Equal(index, log.Store.Revision);
    }

    [Fact]
    public async Task When_one_compare_fails_only_the_failure_branch_runs()
    {
        await using var log = await OneNodeLog.OpenAsync(folder.Path);
        var (a, _) = await log.ApplyAsync(LedgerCommand.Put("a", Json("100")));
        var (b, _) = await log.ApplyAsync(LedgerCommand.Put("b", Json("5")));

        var (index, result) = await log.ApplyAsync(new TransactionCommand(
            [new TxnCompare("a", CompareTarget.Revision, CompareResult.Equal, a, []), new TxnCompare("b", CompareTarget.Revision, CompareResult.Equal, b - 1, [])],
            [TxnOperation.Put("a", Json("90")), TxnOperation.Put("b", Json("15"))],
            [TxnOperation.Get("a"), TxnOperation.Get("b"), TxnOperation.Put("audit", Json("\"conflict\""))]));

        Assert.False(result.Transaction!.Succeeded);
        Assert.Equal([("100", a), ("5", b), ("\"conflict\"", index)], result.Transaction.Results.Select(r => (Text(r.Entry), r.Entry!.Revision)));
        Assert.Equal(("100", a), (Text(log.Store.Get("a")), log.Store.Get("a")!.Revision));
        Assert.Equal(("5", b), (Text(log.Store.Get("b")), log.Store.Get("b")!.Revision));
        Assert.Equal(index, log.Store.Revision);
    }

    [Fact]
    public async Task A_damaged_transaction_entry_is_a_no_op_that_still_takes_its_revision()
    {
        await using var log = await OneNodeLog.OpenAsync(folder.Path);
        var (a, _) = await log.ApplyAsync(LedgerCommand.Put("a", Json("1")));
        var damaged = Sample().Encode()[..^3];

        var index = await log.AppendAndApplyAsync(new BinaryLogEntry { Content = damaged, Term = log.Term });

        Assert.Equal(1, log.Machine.UndecodableEntries);
        Assert.Equal(index, log.Store.Revision);
        Assert.Equal(("1", a), (Text(log.Store.Get("a")), log.Store.Get("a")!.Revision));
    }

    [Fact]
    public async Task A_transaction_survives_a_restart_through_the_log_and_through_a_snapshot()
    {
        long index;
        await using (var log = await OneNodeLog.OpenAsync(folder.Path, snapshotInterval: 3))
        {
            await log.ApplyAsync(LedgerCommand.Put("a", Json("1")));
            (index, _) = await log.ApplyAsync(new TransactionCommand([], [TxnOperation.Put("x", Json("2")), TxnOperation.Put("y", Json("3"))], []));
            await log.ApplyAsync(LedgerCommand.Put("b", Json("4")));
            await log.ApplyAsync(new TransactionCommand([], [TxnOperation.Put("z", Json("5"))], []));
        }

        await using var reopened = await OneNodeLog.OpenAsync(folder.Path, snapshotInterval: 3);

        Assert.Equal([("2", index), ("3", index), ("5", index + 2)], new[] { "x", "y", "z" }.Select(k => (Text(reopened.Store.Get(k)), reopened.Store.Get(k)!.Revision)));
    }
}
