using GeoLedger.Infra.Plan;

namespace GeoLedger.Infra.Tests.Plan;

public sealed class RaftTimeoutsTests
{
    [Fact]
    public void TheArticlesRegionsGetTheOneSecondFloor()
    {
        // eastus-westus is the worst pair of the three (70 ms): 10·70 < 1000, 4·70 < 1000.
        var t = ClusterPlan.Build(TestConfigs.Valid()).Timeouts;
        Assert.Equal(70, t.RttMs);
        Assert.Equal(new RaftTimeouts(70, 1000, 2000, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4), 0.3), t);
    }

    [Fact]
    public void TransatlanticClustersScaleWithTheWorstPair()
    {
        // westus-westeurope (145 ms) is the worst pair of the five.
        var t = RaftTimeouts.ForRtt(RaftTimeouts.WorstRtt(TestConfigs.FiveRegions, null));
        Assert.Equal(145, t.RttMs);
        Assert.Equal(1450, t.LowerElectionMs);
        Assert.Equal(2900, t.UpperElectionMs);
        Assert.Equal(TimeSpan.FromMilliseconds(1000), t.Rpc);
        Assert.Equal(TimeSpan.FromMilliseconds(5800), t.Request);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(70)]
    [InlineData(145)]
    [InlineData(300)]
    [InlineData(2000)]
    public void TheProfileKeepsItsInvariants(int rtt)
    {
        var t = RaftTimeouts.ForRtt(rtt);
        Assert.True(t.HeartbeatPeriod >= TimeSpan.FromMilliseconds(3 * rtt), "a heartbeat period spans several round trips");
        Assert.True(t.LowerElectionMs >= 3 * t.HeartbeatPeriod.TotalMilliseconds, "an election needs several missed heartbeats");
        Assert.Equal(2 * t.LowerElectionMs, t.UpperElectionMs);
        Assert.True(t.Rpc >= TimeSpan.FromSeconds(1) && t.Rpc >= TimeSpan.FromMilliseconds(4 * rtt));
        Assert.True(t.Request >= TimeSpan.FromMilliseconds(t.UpperElectionMs));
    }

    [Fact]
    public void TheEnvironmentUsesInvariantFormats()
    {
        var env = RaftTimeouts.ForRtt(300).ToEnvironment().ToDictionary();
        Assert.Equal("3000", env["Raft__lowerElectionTimeout"]);
        Assert.Equal("6000", env["Raft__upperElectionTimeout"]);
        Assert.Equal("00:00:01.2000000", env["Raft__rpcTimeout"]);
        Assert.Equal("00:00:12", env["Raft__requestTimeout"]);
        Assert.Equal("0.3", env["Raft__heartbeatThreshold"]);
    }

    [Fact]
    public void TheTableIsSymmetricAndPositive()
    {
        foreach (var a in RegionRtt.KnownRegions)
        {
            foreach (var b in RegionRtt.KnownRegions)
                Assert.Equal(RegionRtt.Lookup(a, b), RegionRtt.Lookup(b, a));
        }

        Assert.Equal(70, RegionRtt.Lookup("westus", "eastus"));
        Assert.Null(RegionRtt.Lookup("eastus", "japaneast"));
    }
}
