using GeoLedger.Faults.Checker;
using GeoLedger.Faults.History;

namespace GeoLedger.Faults.Tests;

public sealed class CrossCheckTests
{
    private static readonly string[] Values = ["a", "b", "c"];

    [Fact]
    public void CheckerAgreesWithExhaustiveSearchOnRandomSmallHistories()
    {
        var random = new Random(20240611);
        var verdicts = new Dictionary<bool, int> { [true] = 0, [false] = 0 };
        for (var trial = 0; trial < 10_000; trial++)
        {
            var operations = trial % 2 == 0
                ? RandomHistory(random)
                : Mutate(random, RegisterSimulation.Generate(trial, random.Next(1, 9), clients: 4, keys: 1, unknownRate: 0.3));

            var expected = BruteForceOracle.IsLinearizable(operations);
            var actual = LinearizabilityChecker.Check(operations, Timeout.InfiniteTimeSpan).Verdict;

            Assert.True(
                (expected ? Verdict.Linearizable : Verdict.NotLinearizable) == actual,
                $"trial {trial}: oracle says {expected}, checker says {actual}\n{HistoryJson.Serialize(new OperationHistory { Seed = trial, Operations = operations })}");
            verdicts[expected]++;
        }

        // Both answers must be common, or the comparison proves little.
        Assert.True(verdicts[true] > 2_000, $"only {verdicts[true]} linearizable histories");
        Assert.True(verdicts[false] > 2_000, $"only {verdicts[false]} non-linearizable histories");
    }

    [Fact]
    public void SimulatedHistoriesAreLinearizableForTheOracle()
    {
        // The generator is the other tests' ground truth: check it against the definition too.
        for (var seed = 0; seed < 300; seed++)
        {
            var operations = RegisterSimulation.Generate(seed, 10, clients: 4, keys: 1, unknownRate: 0.2);
            Assert.True(BruteForceOracle.IsLinearizable(operations), $"seed {seed}");
        }
    }

    // Few values, so the same value is written twice (ABA); many unknown and failed outcomes.
    private static List<Operation> RandomHistory(Random random)
    {
        var count = random.Next(1, 10);
        var valueCount = random.Next(1, 4);
        var operations = new List<Operation>(count);
        for (var id = 1; id <= count; id++)
        {
            var kind = (OperationKind)random.Next(4);
            var outcome = random.Next(10) switch { < 4 => OperationOutcome.Ok, < 6 => OperationOutcome.Fail, _ => OperationOutcome.Unknown };
            var invoke = random.Next(15);
            var expected = random.Next(3) == 0 ? null : Values[random.Next(valueCount)];
            operations.Add(new Operation
            {
                Id = id,
                Client = id,
                Key = "k",
                Kind = kind,
                Value = kind is OperationKind.Write or OperationKind.Cas ? Values[random.Next(valueCount)] : null,
                Expected = kind == OperationKind.Cas ? expected : null,
                ExpectedAbsent = kind == OperationKind.Cas && expected is null,
                InvokeNs = invoke,
                CompleteNs = outcome == OperationOutcome.Unknown && random.Next(2) == 0 ? null : invoke + random.Next(8),
                Outcome = outcome,
                Result = kind == OperationKind.Read && outcome == OperationOutcome.Ok
                    ? (random.Next(3) == 0 ? null : Values[random.Next(valueCount)])
                    : null,
            });
        }

        return operations;
    }

    // One small change to a correct history: often, but not always, it breaks linearizability.
    private static List<Operation> Mutate(Random random, List<Operation> operations)
    {
        var i = random.Next(operations.Count);
        var op = operations[i];
        operations[i] = random.Next(4) switch
        {
            0 when op.Kind == OperationKind.Read && op.Outcome == OperationOutcome.Ok =>
                op with { Result = op.Result is null ? operations[random.Next(operations.Count)].Value : null },
            1 when op.Outcome != OperationOutcome.Unknown && op.Kind != OperationKind.Read =>
                op with { Outcome = op.Outcome == OperationOutcome.Ok ? OperationOutcome.Fail : OperationOutcome.Ok },
            2 => op with { InvokeNs = op.InvokeNs + 700, CompleteNs = op.CompleteNs + 700 },
            _ => op,
        };
        return operations;
    }
}
