using GeoLedger.Faults.Checker;
using GeoLedger.Faults.History;

namespace GeoLedger.Faults.Tests;

public sealed class NonLinearizableHistoryTests
{
    private const OperationOutcome Fail = OperationOutcome.Fail;
    private const OperationOutcome Unknown = OperationOutcome.Unknown;

    [Fact]
    public void StaleRead()
    {
        var history = new HistoryBuilder()
            .Write(1, "v0", 0, 10)
            .Write(1, "v1", 20, 30)
            .Read(2, "v0", 40, 50);

        Assert.Equal(Verdict.NotLinearizable, history.Verdict());
    }

    [Theory]
    [InlineData("old")]
    [InlineData(null)]
    public void LostWrite(string? seenLater)
    {
        var history = new HistoryBuilder();
        if (seenLater is not null)
        {
            history.Write(1, seenLater, 0, 10);
        }

        history
            .Write(1, "new", 20, 30)
            .Read(2, "new", 40, 50)
            .Read(3, seenLater, 60, 70)
            .Read(2, seenLater, 80, 90);

        Assert.Equal(Verdict.NotLinearizable, history.Verdict());
    }

    [Fact]
    public void AcknowledgedWriteNeverSeen()
    {
        var history = new HistoryBuilder()
            .Write(1, "a", 0, 10)
            .Read(2, null, 20, 30);

        Assert.Equal(Verdict.NotLinearizable, history.Verdict());
    }

    [Fact]
    public void CasSucceededTwiceOnTheSameOldValue()
    {
        var history = new HistoryBuilder()
            .Write(1, "v0", 0, 10)
            .Cas(2, "v0", "x", 20, 40)
            .Cas(3, "v0", "y", 25, 35);

        Assert.Equal(Verdict.NotLinearizable, history.Verdict());
    }

    [Fact]
    public void ConcurrentCreatesBothSucceeded()
    {
        var history = new HistoryBuilder()
            .Cas(1, null, "a", 0, 100)
            .Cas(2, null, "b", 10, 90);

        Assert.Equal(Verdict.NotLinearizable, history.Verdict());
    }

    [Fact]
    public void CreateOnlySucceededOnAnExistingKey()
    {
        var history = new HistoryBuilder()
            .Write(1, "a", 0, 10)
            .Cas(2, null, "b", 20, 30);

        Assert.Equal(Verdict.NotLinearizable, history.Verdict());
    }

    [Fact]
    public void ReadOfAValueNeverWritten()
    {
        var history = new HistoryBuilder()
            .Write(1, "a", 0, 100)
            .Read(2, "ghost", 10, 90);

        Assert.Equal(Verdict.NotLinearizable, history.Verdict());
    }

    [Fact]
    public void ReadOfAFailedWrite()
    {
        // 503: the write was never attempted, so nobody may see its value.
        var history = new HistoryBuilder()
            .Write(1, "never", 0, 10, Fail)
            .Read(2, "never", 20, 30);

        Assert.Equal(Verdict.NotLinearizable, history.Verdict());
    }

    [Fact]
    public void DeleteOkOnAnAbsentKey()
    {
        var history = new HistoryBuilder()
            .Read(1, null, 0, 10)
            .Delete(2, 20, 30);

        Assert.Equal(Verdict.NotLinearizable, history.Verdict());
    }

    [Fact]
    public void TwoSequentialDeletesBothFoundTheKey()
    {
        var history = new HistoryBuilder()
            .Write(1, "a", 0, 10)
            .Delete(2, 20, 30)
            .Delete(3, 40, 50);

        Assert.Equal(Verdict.NotLinearizable, history.Verdict());
    }

    [Fact]
    public void DeleteFailedOnAPresentKey()
    {
        var history = new HistoryBuilder()
            .Write(1, "a", 0, 10)
            .Delete(2, 20, 30, Fail);

        Assert.Equal(Verdict.NotLinearizable, history.Verdict());
    }

    [Fact]
    public void FailedCasWhosePreconditionHeld()
    {
        var history = new HistoryBuilder()
            .Write(1, "v0", 0, 10)
            .Cas(2, "v0", "v1", 20, 30, Fail);

        Assert.Equal(Verdict.NotLinearizable, history.Verdict());
    }

    [Fact]
    public void ReadsDisagreeAfterConcurrentWritesCompleted()
    {
        var history = new HistoryBuilder()
            .Write(1, "a", 0, 100)
            .Write(2, "b", 10, 90)
            .Read(3, "a", 120, 130)
            .Read(3, "b", 140, 150);

        Assert.Equal(Verdict.NotLinearizable, history.Verdict());
    }

    [Fact]
    public void UnknownWriteSeenBeforeItWasInvoked()
    {
        var history = new HistoryBuilder()
            .Read(1, "b", 0, 10)
            .Write(2, "b", 20, null, Unknown);

        Assert.Equal(Verdict.NotLinearizable, history.Verdict());
    }

    [Fact]
    public void UnknownWriteSeenThenUndone()
    {
        var history = new HistoryBuilder()
            .Write(1, "a", 0, 10)
            .Write(2, "b", 20, null, Unknown)
            .Read(3, "b", 30, 40)
            .Read(3, "a", 50, 60);

        Assert.Equal(Verdict.NotLinearizable, history.Verdict());
    }

    [Fact]
    public void UnknownCasWhosePreconditionNeverHeldCannotExplainARead()
    {
        var history = new HistoryBuilder()
            .Write(1, "a", 0, 10)
            .Cas(2, "zzz", "b", 20, null, Unknown)
            .Read(3, "b", 30, 40);

        Assert.Equal(Verdict.NotLinearizable, history.Verdict());
    }

    [Fact]
    public void ViolationReportNamesTheStaleReadAndWhatTheKeyHeld()
    {
        var history = new HistoryBuilder()
            .Write(1, "v0", 0, 10)
            .Write(1, "v1", 20, 30)
            .Read(2, "v0", 40, 50)
            .Read(2, "v1", 60, 70);

        var key = history.Check().Keys.Single();

        Assert.Equal(Verdict.NotLinearizable, key.Verdict);
        var violation = Assert.IsType<Violation>(key.Violation);
        Assert.Equal(3, violation.Blocked.Id);
        Assert.Equal("v1", violation.State);
        Assert.Equal(2, violation.LinearizedCount);
        Assert.Equal(4, violation.DefiniteCount);
        Assert.Equal([1L, 2L], violation.LastLinearized.Select(o => o.Id));
        var text = violation.Describe();
        Assert.Contains("cannot place #3 client 2 read -> \"v0\" ok [40, 50]", text);
        Assert.Contains("key then \"v1\"", text);
    }

    [Fact]
    public void OnlyTheViolatingKeyIsReportedAndItDecidesTheVerdict()
    {
        var history = new HistoryBuilder()
            .On("good").Write(1, "a", 0, 10).Read(2, "a", 20, 30)
            .On("bad").Write(1, "a", 0, 10).Read(2, "b", 20, 30)
            .On("other").Read(3, null, 0, 10);

        var result = history.Check();

        Assert.Equal(Verdict.NotLinearizable, result.Verdict);
        var bad = Assert.Single(result.Keys, k => k.Verdict != Verdict.Linearizable);
        Assert.Equal("bad", bad.Key);
        Assert.NotNull(bad.Violation);
        Assert.All(result.Keys.Where(k => k.Key != "bad"), k => Assert.Null(k.Violation));
    }

    [Fact]
    public void MalformedOperationsAreRejectedNotChecked()
    {
        var history = new HistoryBuilder()
            .Add(new Operation
            {
                Id = 1, Client = 1, Key = "k", Kind = OperationKind.Cas, Value = "a",
                InvokeNs = 0, CompleteNs = 10, Outcome = OperationOutcome.Ok,
            });

        var error = Assert.Throws<ArgumentException>(() => history.Check());
        Assert.Contains("expectedAbsent", error.Message);
    }
}
