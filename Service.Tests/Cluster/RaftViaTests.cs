using System.Net;
using GeoLedger.Cluster;

namespace GeoLedger.Tests.Cluster;

/// <summary><c>Ledger:TestRaftVia</c>: the routes the geo cluster gives a node to reach its peers through its proxies.</summary>
public sealed class RaftViaTests
{
    [Fact]
    public void A_member_with_a_route_is_reached_through_it_and_any_other_at_its_own_address()
    {
        var via = RaftVia.Parse("127.0.0.1:8282=127.0.0.1:9001, 127.0.0.1:8283=127.0.0.1:9002");

        Assert.False(via.IsEmpty);
        Assert.Equal(new DnsEndPoint("127.0.0.1", 9001), via.Route("127.0.0.1", 8282));
        Assert.Equal(new DnsEndPoint("127.0.0.1", 9002), via.Route("127.0.0.1", 8283));
        Assert.Equal(new DnsEndPoint("127.0.0.1", 8284), via.Route("127.0.0.1", 8284));
    }

    [Fact]
    public void Host_names_match_whatever_their_case()
    {
        var via = RaftVia.Parse("Node-1.Internal:3262=127.0.0.1:9001");

        Assert.Equal(new DnsEndPoint("127.0.0.1", 9001), via.Route("node-1.internal", 3262));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" , ")]
    public void No_setting_routes_nothing(string? text)
    {
        var via = RaftVia.Parse(text);

        Assert.True(via.IsEmpty);
        Assert.Equal(new DnsEndPoint("node-3.internal", 3262), via.Route("node-3.internal", 3262));
    }

    [Theory]
    [InlineData("127.0.0.1:8282")]
    [InlineData("127.0.0.1:8282=127.0.0.1")]
    [InlineData("127.0.0.1=127.0.0.1:9001")]
    [InlineData("127.0.0.1:8282=127.0.0.1:0")]
    [InlineData("127.0.0.1:8282=127.0.0.1:65536")]
    [InlineData("127.0.0.1:8282=127.0.0.1:9001=127.0.0.1:9002")]
    [InlineData(":8282=127.0.0.1:9001")]
    public void A_malformed_entry_is_refused_by_name(string entry)
    {
        var e = Assert.Throws<InvalidOperationException>(() => RaftVia.Parse("127.0.0.1:8283=127.0.0.1:9002," + entry));

        Assert.Equal($"Ledger:TestRaftVia entry '{entry}' is not host:port=host:port", e.Message);
    }
}
