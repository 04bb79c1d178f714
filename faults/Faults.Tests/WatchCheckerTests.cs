using GeoLedger.Faults.History;
using GeoLedger.Faults.Watch;

namespace GeoLedger.Faults.Tests;

/// <summary>
/// The watch check on synthetic runs: a correct one passes, and each way a watch can go wrong (a missing acknowledged
/// write, a duplicate, an out-of-order delivery, a write that definitely failed, a skipped change...) is flagged.
/// </summary>
public sealed class WatchCheckerTests
{
    // k0: a (rev 3) -> cas c (rev 6) -> d (rev 9, outcome unknown); k1: b (rev 4) -> deleted (rev 7); a failed cas and a
    // write never attempted on k1; a write outside the prefix. The watcher reconnects after revision 4.
    private static List<Operation> Operations() =>
    [
        Op(1, "k0", OperationKind.Write, "a", 10, 20, OperationOutcome.Ok, revision: 3),
        Op(2, "k1", OperationKind.Write, "b", 12, 22, OperationOutcome.Ok, revision: 4),
        Op(3, "k0", OperationKind.Cas, "c", 30, 40, OperationOutcome.Ok, revision: 6, expected: "a"),
        Op(4, "k1", OperationKind.Delete, null, 35, 45, OperationOutcome.Ok),
        Op(5, "k0", OperationKind.Write, "d", 50, null, OperationOutcome.Unknown),
        Op(6, "k1", OperationKind.Cas, "x", 55, 60, OperationOutcome.Fail, expected: "b"),
        Op(7, "k1", OperationKind.Write, "e", 56, 61, OperationOutcome.Fail),
        Op(8, "__recovery", OperationKind.Write, "r", 57, 62, OperationOutcome.Ok, revision: 8),
        Op(9, "k0", OperationKind.Read, null, 80, 90, OperationOutcome.Ok, result: "d"),
    ];

    private static List<WatchDelivery> Deliveries(int watcher = 1) =>
    [
        Put(watcher, 1, 3, "k0", "a", 0, at: 25),
        Put(watcher, 1, 4, "k1", "b", 0, at: 26),
        Put(watcher, 2, 6, "k0", "c", 3, at: 42),
        Delete(watcher, 2, 7, "k1", 4, at: 46),
        Put(watcher, 2, 9, "k0", "d", 6, at: 70),
    ];

    private static readonly Dictionary<string, string?> FinalValues = new() { ["k0"] = "d", ["k1"] = null };

    [Fact]
    public void A_correct_run_passes()
    {
        var result = Check(Deliveries());

        Assert.True(result.Passed, string.Join("\n", result.Problems));
        Assert.Equal(5, result.Deliveries);
        Assert.Equal(1, result.Reconnects);
        Assert.Contains("PASS", result.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_watchers_that_agree_pass()
    {
        var result = WatchChecker.Check(Operations(), Record(Watcher(1, Deliveries(1)), Watcher(2, Deliveries(2))), FinalValues);

        Assert.True(result.Passed, string.Join("\n", result.Problems));
        Assert.Equal(10, result.Deliveries);
    }

    [Fact]
    public void A_missing_acknowledged_write_is_flagged()
    {
        var result = Check(Deliveries().Where(d => d.Revision != 6));

        AssertFlags(result, "acknowledged cas of 'k0' = 'c' (op 3, revision 6) was never delivered");
        AssertFlags(result, "gap: revision 9 of 'k0' follows revision 6 of it, but the last change of it delivered was at revision 3");
    }

    [Fact]
    public void A_missing_acknowledged_delete_is_flagged()
    {
        var result = Check(Deliveries().Where(d => d.Revision != 7));

        AssertFlags(result, "'k1' had 1 acknowledged deletes but 0 were delivered");
    }

    [Fact]
    public void A_duplicate_delivery_across_a_reconnect_is_flagged()
    {
        var deliveries = Deliveries();
        deliveries.Insert(2, Put(1, 2, 4, "k1", "b", 0, at: 41)); // the resume repeated revision 4

        AssertFlags(Check(deliveries), "duplicate delivery: revision 4 of 'k1' again (connection 2");
    }

    [Fact]
    public void An_out_of_order_delivery_is_flagged()
    {
        var deliveries = Deliveries();
        (deliveries[2], deliveries[3]) = (deliveries[3], deliveries[2]); // revision 7 before revision 6

        AssertFlags(Check(deliveries), "out of order: revision 6 of 'k0' after revision 7");
    }

    [Fact]
    public void A_delivered_write_that_definitely_failed_is_flagged()
    {
        var deliveries = Deliveries();
        deliveries.Insert(4, Put(1, 2, 8, "k1", "x", 0, at: 65)); // the cas answered 412

        AssertFlags(Check(deliveries), "revision 8 put 'k1' = 'x': its write (op 6, Cas) definitely failed");
    }

    [Fact]
    public void A_delivered_write_that_was_never_attempted_is_flagged()
    {
        var deliveries = Deliveries();
        deliveries.Insert(4, Put(1, 2, 8, "k1", "e", 0, at: 65)); // the write answered 503

        AssertFlags(Check(deliveries), "revision 8 put 'k1' = 'e': its write (op 7, Write) definitely failed");
    }

    [Fact]
    public void A_value_no_client_wrote_is_flagged()
    {
        var deliveries = Deliveries();
        deliveries.Insert(4, Put(1, 2, 8, "k1", "nobody", 0, at: 65));

        AssertFlags(Check(deliveries), "revision 8 put 'k1' = 'nobody': no client wrote that value");
    }

    [Fact]
    public void A_delete_nobody_sent_is_flagged()
    {
        var deliveries = Deliveries();
        deliveries.Add(Delete(1, 2, 10, "k0", 9, at: 75));

        AssertFlags(Check(deliveries, final: new() { ["k0"] = null, ["k1"] = null }), "'k0' had 1 deletes delivered but only 0 deletes that may have happened");
    }

    [Fact]
    public void A_write_delivered_at_another_revision_than_acknowledged_is_flagged()
    {
        var deliveries = Deliveries();
        deliveries[0] = deliveries[0] with { Revision = 2 };

        AssertFlags(Check(deliveries), "revision 2 put 'k0' = 'a': its write (op 1) was acknowledged at revision 3");
    }

    [Fact]
    public void A_change_delivered_before_its_write_was_sent_is_flagged()
    {
        var deliveries = Deliveries();
        deliveries[4] = deliveries[4] with { AtNs = 45 }; // op 5 was sent at 50

        AssertFlags(Check(deliveries), "revision 9 put 'k0' = 'd' arrived 0.0 ms before its write (op 5) was sent");
    }

    [Fact]
    public void The_same_write_applied_twice_is_flagged()
    {
        var deliveries = Deliveries();
        deliveries.Add(Put(1, 2, 10, "k0", "d", 9, at: 75));

        AssertFlags(Check(deliveries), "revision 10 put 'k0' = 'd', a value already delivered at revision 9: one write applied twice");
    }

    [Fact]
    public void A_watcher_that_did_not_reach_the_fence_is_flagged()
    {
        var result = WatchChecker.Check(Operations(), Record(Watcher(1, Deliveries()) with { Reached = 9 }), FinalValues);

        AssertFlags(result, "watcher 1 reached revision 9, not the fence 11");
    }

    [Fact]
    public void A_watcher_that_gave_up_after_410_everywhere_is_flagged()
    {
        var gone = new WatchConnection { Watcher = 1, Number = 2, Node = "node-1", OpenedNs = 41, From = 5, Status = 410, Ended = "410", OldestRevision = 300 };
        var watcher = Watcher(1, Deliveries()) with { GaveUp = "every node answered 410", Connections = [Connection(1, 1), gone] };

        var result = WatchChecker.Check(Operations(), Record(watcher), FinalValues);

        AssertFlags(result, "watcher 1 gave up at revision 12: every node answered 410");
        Assert.Equal(1, result.Gone);
    }

    [Fact]
    public void Deliveries_that_end_in_another_state_than_the_final_reads_are_flagged()
    {
        AssertFlags(Check(Deliveries(), final: new() { ["k0"] = "c", ["k1"] = null }), "'k0' ends as 'd' in the deliveries, but the final read found 'c'");
    }

    [Fact]
    public void Watchers_that_disagree_are_flagged()
    {
        var other = Deliveries(2);
        other[4] = other[4] with { Value = "c2" };

        var result = WatchChecker.Check(Operations(), Record(Watcher(1, Deliveries(1)), Watcher(2, other)), FinalValues);

        AssertFlags(result, "watchers 1 and 2 differ at revision 9: put 'k0' = 'd' against put 'k0' = 'c2'");
    }

    [Fact]
    public void Only_an_ok_write_or_cas_carries_a_revision_in_the_history()
    {
        var errors = HistoryValidator.Validate([
            Op(1, "k0", OperationKind.Write, "a", 10, 20, OperationOutcome.Ok, revision: 3),
            Op(2, "k0", OperationKind.Write, "b", 10, null, OperationOutcome.Unknown, revision: 4),
            Op(3, "k0", OperationKind.Read, null, 10, 20, OperationOutcome.Ok, revision: 4, result: "a"),
        ]);

        Assert.Equal(["operation 2: only an ok write or cas carries a revision", "operation 3: only an ok write or cas carries a revision"], errors);
    }

    [Fact]
    public void The_watch_record_survives_its_file()
    {
        var path = Path.Combine(Path.GetTempPath(), $"watch-{Guid.NewGuid():N}.json");
        try
        {
            var record = Record(Watcher(1, Deliveries()));
            record.Save(path);

            var loaded = WatchRecord.Load(path);

            Assert.Equal(record.FenceRevision, loaded.FenceRevision);
            Assert.Equal(record.Watchers[0].Deliveries, loaded.Watchers[0].Deliveries);
            Assert.Equal(record.Watchers[0].Connections, loaded.Watchers[0].Connections);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static WatchCheckResult Check(IEnumerable<WatchDelivery> deliveries, Dictionary<string, string?>? final = null) =>
        WatchChecker.Check(Operations(), Record(Watcher(1, deliveries.ToList())), final ?? FinalValues);

    private static void AssertFlags(WatchCheckResult result, string problem)
    {
        Assert.False(result.Passed);
        Assert.Contains(result.Problems, p => p.Contains(problem, StringComparison.Ordinal));
        Assert.Contains("FAIL", result.Summary, StringComparison.Ordinal);
    }

    private static WatchRecord Record(params WatcherRecord[] watchers) =>
        new() { Seed = 1, Prefix = "k", FromRevision = 1, FenceRevision = 11, Watchers = watchers };

    private static WatcherRecord Watcher(int id, List<WatchDelivery> deliveries) => new()
    {
        Id = id, Reached = 12, Anomalies = [], Deliveries = deliveries, Connections = [Connection(id, 1), Connection(id, 2)],
    };

    private static WatchConnection Connection(int watcher, int number) =>
        new() { Watcher = watcher, Number = number, Node = $"node-{number}", OpenedNs = number * 20, From = number == 1 ? 1 : 5, Status = 200, Ended = "the stream ended" };

    private static WatchDelivery Put(int watcher, int connection, long revision, string key, string value, long previous, long at) =>
        new() { Watcher = watcher, Connection = connection, Node = $"node-{connection}", AtNs = at, Revision = revision, Key = key, Kind = WatchChangeKind.Put, Value = value, PreviousRevision = previous };

    private static WatchDelivery Delete(int watcher, int connection, long revision, string key, long previous, long at) =>
        new() { Watcher = watcher, Connection = connection, Node = $"node-{connection}", AtNs = at, Revision = revision, Key = key, Kind = WatchChangeKind.Delete, PreviousRevision = previous };

    private static Operation Op(long id, string key, OperationKind kind, string? value, long invoke, long? complete, OperationOutcome outcome, long? revision = null, string? expected = null, string? result = null) =>
        new()
        {
            Id = id, Client = (int)id, Key = key, Kind = kind, Value = value, Expected = expected, InvokeNs = invoke, CompleteNs = complete,
            Outcome = outcome, Revision = revision, Result = result,
        };
}
