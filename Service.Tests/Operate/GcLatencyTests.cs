namespace GeoLedger.Tests.Operate;

public sealed class GcLatencyTests
{
    private int gen2;
    private readonly List<long> started = [];
    private long now;

    private GcLatency Keeper() => new(() => gen2, () => { started.Add(now); gen2++; }, now);

    [Fact]
    public void A_background_gen2_is_started_after_fifteen_seconds_without_one_and_again_fifteen_seconds_later()
    {
        var keeper = Keeper();
        for (now = 1000; now <= 40_000; now += 1000)
            keeper.Tick(now);

        Assert.Equal([15_000L, 30_000L], started);
    }

    [Fact]
    public void None_is_started_while_the_runtime_runs_gen2_collections_by_itself()
    {
        var keeper = Keeper();
        for (now = 1000; now <= 60_000; now += 1000)
        {
            if (now % 10_000 == 0)
                gen2++; // one every 10 s, as on a busy node
            keeper.Tick(now);
        }

        Assert.Empty(started);
    }

    [Fact]
    public void The_wait_restarts_from_the_last_gen2_the_runtime_ran()
    {
        var keeper = Keeper();
        for (now = 1000; now <= 30_000; now += 1000)
        {
            if (now == 12_000)
                gen2++;
            keeper.Tick(now);
        }

        Assert.Equal([27_000L], started);
    }
}
