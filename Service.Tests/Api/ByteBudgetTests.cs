using GeoLedger.Api;
using static GeoLedger.Api.ByteBudget;

namespace GeoLedger.Tests.Api;

/// <summary>Admission control's accounting: node-wide and per-client shares, large requests held to half, and progress for one request at a time.</summary>
public sealed class ByteBudgetTests
{
    private readonly ByteBudget budget = new(nodeLimit: 100, clientLimit: 40, largeBytes: 10);

    [Fact]
    public void A_client_past_its_share_is_refused_while_another_client_gets_in()
    {
        Assert.Equal(Refusal.None, budget.TryTake("a", 30, out _));
        Assert.Equal(Refusal.Client, budget.TryTake("a", 20, out _));
        Assert.Equal(Refusal.None, budget.TryTake("b", 5, out _));
    }

    [Fact]
    public void Large_requests_together_get_half_of_the_node_and_small_ones_the_rest()
    {
        Assert.Equal(Refusal.None, budget.TryTake("a", 30, out _));
        Assert.Equal(Refusal.None, budget.TryTake("b", 20, out _));
        Assert.Equal(Refusal.Node, budget.TryTake("c", 11, out _)); // large, and large ones hold 50 of 100 already
        for (var i = 0; i < 10; i++)
            Assert.Equal(Refusal.None, budget.TryTake($"small-{i}", 5, out _));
        Assert.Equal(Refusal.Node, budget.TryTake("d", 1, out _)); // 100 of 100
    }

    [Fact]
    public void Returned_bytes_make_room_again()
    {
        Assert.Equal(Refusal.None, budget.TryTake("a", 40, out var lease));
        Assert.Equal(Refusal.Client, budget.TryTake("a", 1, out _));

        lease.Dispose();

        Assert.Equal(0, budget.InFlight);
        Assert.Equal(Refusal.None, budget.TryTake("a", 40, out _));
    }

    [Fact]
    public void One_request_larger_than_every_share_passes_when_nothing_is_in_flight()
    {
        Assert.Equal(Refusal.None, budget.TryTake("a", 500, out var lease));
        Assert.Equal(Refusal.Client, budget.TryTake("a", 1, out _));
        Assert.Equal(Refusal.Node, budget.TryTake("b", 1, out _));

        lease.Dispose();

        Assert.Equal(Refusal.None, budget.TryTake("b", 1, out _));
    }
}
