using GeoLedger.Faults.Checker;

namespace GeoLedger.Faults.Tests;

public sealed class DeadlineTests
{
    [Fact]
    public void ZeroTimeoutGivesUnknownNotLinearizable()
    {
        var operations = RegisterSimulation.Generate(seed: 7, count: 2_000, clients: 10, keys: 3);

        var result = LinearizabilityChecker.Check(operations, TimeSpan.Zero);

        Assert.Equal(Verdict.Unknown, result.Verdict);
        Assert.All(result.Keys, k => Assert.Equal(Verdict.Unknown, k.Verdict));
        Assert.All(result.Keys, k => Assert.Null(k.Violation));
        Assert.All(result.Keys, k => Assert.Equal("the time budget ran out", k.UnknownReason));
    }

    [Fact]
    public void CancelledTokenGivesUnknown()
    {
        var operations = RegisterSimulation.Generate(seed: 8, count: 500, clients: 5, keys: 1);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        var result = LinearizabilityChecker.Check(operations, Timeout.InfiniteTimeSpan, cancelled.Token);

        Assert.Equal(Verdict.Unknown, result.Verdict);
    }

    [Fact]
    public void SameHistoryWithABudgetIsLinearizable()
    {
        // The control for the two tests above: the history itself is fine.
        var operations = RegisterSimulation.Generate(seed: 7, count: 2_000, clients: 10, keys: 3);

        var result = LinearizabilityChecker.Check(operations, TimeSpan.FromMinutes(5));

        Assert.Equal(Verdict.Linearizable, result.Verdict);
    }

    [Theory]
    [InlineData(new Verdict[0], Verdict.Linearizable)]
    [InlineData(new[] { Verdict.Linearizable, Verdict.Linearizable }, Verdict.Linearizable)]
    [InlineData(new[] { Verdict.Linearizable, Verdict.Unknown }, Verdict.Unknown)]
    [InlineData(new[] { Verdict.Unknown, Verdict.NotLinearizable, Verdict.Linearizable }, Verdict.NotLinearizable)]
    [InlineData(new[] { Verdict.NotLinearizable, Verdict.Unknown }, Verdict.NotLinearizable)]
    public void KeyVerdictsCombine(Verdict[] keys, Verdict expected)
    {
        Assert.Equal(expected, LinearizabilityChecker.Combine(keys));
    }
}
