using System.Net;
using GeoLedger.Cluster;

namespace GeoLedger.Tests.Cluster;

/// <summary>
/// One definition of loopback decides both what a node binds and whether Raft may run without a cluster secret: a
/// host that passes as loopback is bound on loopback only, anything else on every interface (and needs the secret).
/// </summary>
public sealed class LoopbackTests
{
    [Theory]
    [InlineData("http://localhost:3262/", "127.0.0.1")]
    [InlineData("http://LOCALHOST:3262/", "127.0.0.1")]
    [InlineData("http://127.0.0.1:3262/", "127.0.0.1")]
    [InlineData("http://127.0.0.3:3262/", "127.0.0.3")]
    [InlineData("http://127.1:3262/", "127.0.0.1")]
    [InlineData("http://[::1]:3262/", "::1")]
    [InlineData("http://[::ffff:127.0.0.1]:3262/", "127.0.0.1")]
    [InlineData("http://[::ffff:127.0.0.2]:3262/", "127.0.0.2")]
    public void A_loopback_host_is_bound_on_loopback_only(string url, string bound)
    {
        Assert.Equal(IPAddress.Parse(bound), NodeTopology.LoopbackAddress(new Uri(url)));
        Assert.Equal(IPAddress.Parse(bound), NodeTopology.ListenFor(new Uri(url)).Address);
    }

    [Theory]
    [InlineData("http://10.1.0.4:3262/")]
    [InlineData("http://0.0.0.0:3262/")]
    [InlineData("http://[::]:3262/")]
    [InlineData("http://[::ffff:10.0.0.1]:3262/")]
    [InlineData("http://localhost.:3262/")]
    [InlineData("http://localhost.example:3262/")]
    [InlineData("http://my-localhost:3262/")]
    [InlineData("http://gl-eastus-0.eastus.cloudapp.azure.com/")]
    public void Anything_else_is_not_loopback_and_is_bound_on_every_interface(string url)
    {
        Assert.Null(NodeTopology.LoopbackAddress(new Uri(url)));
        Assert.Equal(IPAddress.Any, NodeTopology.ListenFor(new Uri(url)).Address);
    }
}
