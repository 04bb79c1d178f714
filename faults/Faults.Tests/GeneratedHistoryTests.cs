using System.Diagnostics;
using GeoLedger.Faults.Checker;
using GeoLedger.Faults.History;
using Xunit.Abstractions;

namespace GeoLedger.Faults.Tests;

/// <summary>Fault-run-sized histories: correctness at scale (the elapsed time is reported, never asserted).</summary>
public sealed class GeneratedHistoryTests(ITestOutputHelper output)
{
    // A fault run's shape: 30 clients over a few keys (about 4-6 in flight per key), or one hot key with 10 in flight.
    [Theory]
    [InlineData(20_000, 10, 1, 0.02)]
    [InlineData(20_000, 30, 5, 0.05)]
    [InlineData(60_000, 30, 8, 0.05)]
    public void LargeLinearizableHistoryIsLinearizable(int count, int clients, int keys, double unknownRate)
    {
        var operations = RegisterSimulation.Generate(seed: count + keys, count, clients, keys, unknownRate);

        var result = Check(operations);

        Assert.Equal(Verdict.Linearizable, result.Verdict);
        Assert.Equal(keys, result.Keys.Count);
        Assert.Equal(count, result.OperationCount);
    }

    [Theory]
    [InlineData(20_000, 30, 5, 0.05)]
    [InlineData(60_000, 30, 8, 0.10)]
    public void StaleReadInTheMiddleOfALargeHistoryIsFound(int count, int clients, int keys, double unknownRate)
    {
        var operations = RegisterSimulation.Generate(seed: 99, count, clients, keys, unknownRate);
        var stale = InjectStaleRead(operations, near: count / 2);

        var result = Check(operations);

        Assert.Equal(Verdict.NotLinearizable, result.Verdict);
        var bad = Assert.Single(result.Keys, k => k.Verdict != Verdict.Linearizable);
        Assert.Equal(stale.Key, bad.Key);
        var violation = Assert.IsType<Violation>(bad.Violation);
        output.WriteLine(violation.Describe());
        Assert.Equal(stale.Id, violation.Blocked.Id);
    }

    [Fact]
    public void LostWriteNearTheEndOfALargeHistoryIsFound()
    {
        // No unknown operations: a pending unknown delete could otherwise explain the absent key.
        var operations = RegisterSimulation.Generate(seed: 123, count: 20_000, clients: 30, keys: 4, unknownRate: 0);
        var last = operations.Where(o => o.Key == "key-2").Max(o => o.CompleteNs ?? o.InvokeNs);
        var write = new Operation
        {
            Id = 1_000_000, Client = 99, Key = "key-2", Kind = OperationKind.Write, Value = "acknowledged",
            InvokeNs = last + 10, CompleteNs = last + 20, Outcome = OperationOutcome.Ok,
        };
        var read = new Operation
        {
            Id = 1_000_001, Client = 99, Key = "key-2", Kind = OperationKind.Read, Result = null,
            InvokeNs = last + 30, CompleteNs = last + 40, Outcome = OperationOutcome.Ok,
        };
        operations.Add(write);
        operations.Add(read);

        var result = Check(operations);

        Assert.Equal(Verdict.NotLinearizable, result.Verdict);
        Assert.Equal(["key-2"], result.Keys.Where(k => k.Verdict != Verdict.Linearizable).Select(k => k.Key));
    }

    [Fact]
    public void CheckIsDeterministic()
    {
        var operations = RegisterSimulation.Generate(seed: 5, count: 5_000, clients: 10, keys: 1);
        InjectStaleRead(operations, near: 2_500);

        var first = Check(operations).Keys.Single().Violation!.Describe();
        var second = Check(operations).Keys.Single().Violation!.Describe();

        Assert.Equal(first, second);
    }

    private CheckResult Check(List<Operation> operations)
    {
        var watch = Stopwatch.StartNew();
        var result = LinearizabilityChecker.Check(operations, Timeout.InfiniteTimeSpan);
        output.WriteLine($"{operations.Count} operations, {result.Keys.Count} keys: {result.Verdict} in {watch.ElapsedMilliseconds} ms");
        foreach (var key in result.Keys)
        {
            output.WriteLine($"  {key.Key}: {key.CheckedCount} checked, {key.Elapsed.TotalMilliseconds:F0} ms");
        }

        return result;
    }

    /// <summary>
    /// Adds a read that returns a value certainly overwritten before the read began: an ok write W, then an ok
    /// write W2 invoked after W completed, then the read after W2 completed. Values are unique, so nothing
    /// can bring W's value back.
    /// </summary>
    private static Operation InjectStaleRead(List<Operation> operations, int near)
    {
        var byInvoke = operations.OrderBy(o => o.InvokeNs).ToList();
        var w = byInvoke.Skip(near).First(o => o.Kind == OperationKind.Write && o.Outcome == OperationOutcome.Ok);
        var w2 = byInvoke.First(o =>
            o.Key == w.Key && o.Kind == OperationKind.Write && o.Outcome == OperationOutcome.Ok && o.InvokeNs > w.CompleteNs);
        var stale = new Operation
        {
            Id = 1_000_000, Client = 99, Key = w.Key, Kind = OperationKind.Read, Result = w.Value,
            InvokeNs = w2.CompleteNs!.Value + 1, CompleteNs = w2.CompleteNs!.Value + 50, Outcome = OperationOutcome.Ok,
        };
        operations.Add(stale);
        return stale;
    }
}
