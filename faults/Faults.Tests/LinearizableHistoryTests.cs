using GeoLedger.Faults.Checker;
using GeoLedger.Faults.History;

namespace GeoLedger.Faults.Tests;

public sealed class LinearizableHistoryTests
{
    private const OperationOutcome Fail = OperationOutcome.Fail;
    private const OperationOutcome Unknown = OperationOutcome.Unknown;

    [Fact]
    public void EmptyHistoryIsLinearizable()
    {
        var result = new HistoryBuilder().Check();

        Assert.Equal(Verdict.Linearizable, result.Verdict);
        Assert.Empty(result.Keys);
    }

    [Fact]
    public void SequentialHistory()
    {
        var history = new HistoryBuilder()
            .Read(1, null, 0, 10)
            .Write(1, "a", 20, 30)
            .Read(2, "a", 40, 50)
            .Write(2, "b", 60, 70)
            .Read(1, "b", 80, 90)
            .Delete(1, 100, 110)
            .Read(2, null, 120, 130);

        Assert.Equal(Verdict.Linearizable, history.Verdict());
    }

    [Theory]
    [InlineData("a")]
    [InlineData("b")]
    public void OverlappingWritesLetAReadSeeEither(string seen)
    {
        var history = new HistoryBuilder()
            .Write(1, "a", 0, 100)
            .Write(2, "b", 10, 90)
            .Read(3, seen, 120, 130)
            .Read(1, seen, 140, 150);

        Assert.Equal(Verdict.Linearizable, history.Verdict());
    }

    [Fact]
    public void ReadsDuringOverlappingWritesMaySeeBothInTheWriteOrder()
    {
        // b before a: the first read sees b, the second a, both while the writes are in flight.
        var history = new HistoryBuilder()
            .Write(1, "a", 0, 100)
            .Write(2, "b", 0, 100)
            .Read(3, "b", 10, 20)
            .Read(3, "a", 30, 40)
            .Read(4, "a", 110, 120);

        Assert.Equal(Verdict.Linearizable, history.Verdict());
    }

    [Fact]
    public void CasChain()
    {
        var history = new HistoryBuilder()
            .Cas(1, null, "v1", 0, 10)
            .Cas(2, "v1", "v2", 20, 30)
            .Cas(1, "v1", "v3", 40, 50, Fail)
            .Cas(2, "v2", "v3", 60, 70)
            .Read(1, "v3", 80, 90);

        Assert.Equal(Verdict.Linearizable, history.Verdict());
    }

    [Fact]
    public void ConcurrentCasOnTheSameValueOneWinsOneFails()
    {
        var history = new HistoryBuilder()
            .Write(1, "v0", 0, 10)
            .Cas(2, "v0", "x", 20, 40)
            .Cas(3, "v0", "y", 25, 35, Fail)
            .Read(1, "x", 50, 60);

        Assert.Equal(Verdict.Linearizable, history.Verdict());
    }

    [Fact]
    public void CreateOnlyOneOfTwoConcurrentCreatesWins()
    {
        var history = new HistoryBuilder()
            .Cas(1, null, "a", 0, 100, Fail)
            .Cas(2, null, "b", 10, 90)
            .Read(3, "b", 110, 120)
            .Cas(3, null, "c", 130, 140, Fail);

        Assert.Equal(Verdict.Linearizable, history.Verdict());
    }

    [Fact]
    public void Deletes()
    {
        var history = new HistoryBuilder()
            .Delete(1, 0, 10, Fail)
            .Write(1, "a", 20, 30)
            .Delete(2, 40, 50)
            .Delete(1, 60, 70, Fail)
            .Read(2, null, 80, 90)
            .Cas(1, null, "b", 100, 110)
            .Read(2, "b", 120, 130);

        Assert.Equal(Verdict.Linearizable, history.Verdict());
    }

    [Fact]
    public void ConcurrentDeletesOneFindsTheKeyTheOtherDoesNot()
    {
        var history = new HistoryBuilder()
            .Write(1, "a", 0, 10)
            .Delete(2, 20, 50, Fail)
            .Delete(3, 25, 40)
            .Read(1, null, 60, 70);

        Assert.Equal(Verdict.Linearizable, history.Verdict());
    }

    [Fact]
    public void UnknownWriteThatTookEffect()
    {
        var history = new HistoryBuilder()
            .Write(1, "a", 0, 10)
            .Write(2, "b", 20, null, Unknown)
            .Read(3, "b", 500, 510)
            .Read(1, "b", 520, 530);

        Assert.Equal(Verdict.Linearizable, history.Verdict());
    }

    [Fact]
    public void UnknownWriteThatNeverTookEffect()
    {
        var history = new HistoryBuilder()
            .Write(1, "a", 0, 10)
            .Write(2, "b", 20, null, Unknown)
            .Read(3, "a", 500, 510)
            .Read(1, "a", 520, 530);

        Assert.Equal(Verdict.Linearizable, history.Verdict());
    }

    [Fact]
    public void UnknownWriteConcurrentWithEverythingMayLandLast()
    {
        // Invoked first, never answered: it may take effect after every other operation.
        var history = new HistoryBuilder()
            .Write(9, "late", 0, null, Unknown)
            .Write(1, "a", 10, 20)
            .Read(2, "a", 30, 40)
            .Write(1, "b", 50, 60)
            .Cas(2, "b", "c", 70, 80)
            .Read(1, "c", 90, 100)
            .Read(2, "late", 110, 120);

        Assert.Equal(Verdict.Linearizable, history.Verdict());
    }

    [Fact]
    public void UnknownWriteAnsweredWithATimeoutMayTakeEffectAfterTheAnswer()
    {
        // A 504 at 30 says nothing about when the entry commits: the read at 100 may see it.
        var history = new HistoryBuilder()
            .Write(1, "a", 0, 10)
            .Write(2, "b", 20, 30, Unknown)
            .Read(3, "a", 40, 50)
            .Read(3, "b", 100, 110);

        Assert.Equal(Verdict.Linearizable, history.Verdict());
    }

    [Fact]
    public void UnknownCasAndDeleteMayOrMayNotHaveHappened()
    {
        var history = new HistoryBuilder()
            .Write(1, "a", 0, 10)
            .Cas(2, "a", "b", 20, null, Unknown)
            .Read(3, "b", 30, 40)
            .Delete(1, 50, null, Unknown)
            .Read(3, "b", 60, 70)
            .Read(3, null, 80, 90);

        Assert.Equal(Verdict.Linearizable, history.Verdict());
    }

    [Fact]
    public void FailedReadsAndWritesAndUnknownReadsAreDropped()
    {
        var history = new HistoryBuilder()
            .Write(1, "a", 0, 10)
            .Write(2, "never", 20, 30, Fail)
            .Add(new Operation
            {
                Id = 100, Client = 3, Key = "k", Kind = OperationKind.Read,
                InvokeNs = 40, CompleteNs = 50, Outcome = Fail,
            })
            .Add(new Operation
            {
                Id = 101, Client = 3, Key = "k", Kind = OperationKind.Read,
                InvokeNs = 60, CompleteNs = null, Outcome = Unknown,
            })
            .Read(1, "a", 70, 80);

        var result = history.Check();

        Assert.Equal(Verdict.Linearizable, result.Verdict);
        Assert.Equal(5, result.Keys.Single().OperationCount);
        Assert.Equal(2, result.Keys.Single().CheckedCount);
    }

    [Fact]
    public void OperationsThatTouchInTimeAreConcurrent()
    {
        // The write answers at the very nanosecond the read is sent: either order is possible.
        var history = new HistoryBuilder()
            .Write(1, "a", 0, 10)
            .Write(1, "b", 20, 30)
            .Read(2, "a", 30, 40);

        Assert.Equal(Verdict.Linearizable, history.Verdict());
    }

    [Fact]
    public void KeysAreCheckedIndependently()
    {
        // Each key is a register of its own: "x" never holding "b" says nothing about "y".
        var history = new HistoryBuilder()
            .On("x").Write(1, "a", 0, 10)
            .On("y").Write(1, "b", 20, 30)
            .On("x").Read(2, "a", 40, 50)
            .On("y").Read(2, "b", 40, 50)
            .On("z").Read(3, null, 60, 70);

        var result = history.Check();

        Assert.Equal(Verdict.Linearizable, result.Verdict);
        Assert.Equal(["x", "y", "z"], result.Keys.Select(k => k.Key));
    }
}
