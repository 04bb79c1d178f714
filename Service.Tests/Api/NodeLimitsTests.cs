using GeoLedger.Api;
using Microsoft.Extensions.Configuration;

namespace GeoLedger.Tests.Api;

/// <summary>The connection caps fit the open-file limit with room for the node's own files; bad limits stop the node with their name.</summary>
public sealed class NodeLimitsTests
{
    private static NodeLimits From(long? fileLimit, params (string Key, string Value)[] settings) =>
        NodeLimits.From(new ConfigurationBuilder().AddInMemoryCollection(settings.ToDictionary(s => s.Key, s => (string?)s.Value)).Build(), fileLimit);

    [Fact]
    public void A_high_file_limit_keeps_the_configured_caps()
    {
        var limits = From(65536);

        Assert.Equal((8192, 256), (limits.MaxClientConnections, limits.MaxRaftConnections));
        Assert.False(limits.LoweredToFileLimit);
    }

    [Theory]
    [InlineData(1024)]
    [InlineData(4096)]
    [InlineData(20000)]
    public void A_low_file_limit_lowers_the_caps_to_leave_a_quarter_and_at_least_512_descriptors_free(long fileLimit)
    {
        var limits = From(fileLimit, ("Ledger:MaxClientConnections", "100000"), ("Ledger:MaxRaftConnections", "1000"));

        Assert.True(limits.LoweredToFileLimit);
        Assert.True(limits.MaxClientConnections + limits.MaxRaftConnections <= fileLimit - Math.Max(512, fileLimit / 4), $"{limits.MaxClientConnections} + {limits.MaxRaftConnections}");
        Assert.True(limits.MaxRaftConnections >= 64);
        Assert.True(limits.MaxClientConnections > limits.MaxRaftConnections);
    }

    [Fact]
    public void A_file_limit_too_low_to_run_is_refused_naming_limitnofile()
    {
        var message = Assert.Throws<InvalidOperationException>(() => From(600)).Message;

        Assert.Contains("open-file limit is 600", message, StringComparison.Ordinal);
        Assert.Contains("LimitNOFILE", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Ledger:MaxClientConnections", "0")]
    [InlineData("Ledger:MaxInFlightBytesPerClient", "0")]
    [InlineData("Ledger:MaxInFlightBytesPerClient", "99999999999")]
    [InlineData("Ledger:MaxListPageBytes", "0")]
    [InlineData("Ledger:MaxListBytesInFlight", "10")]
    public void An_out_of_range_limit_is_refused_naming_it(string key, string value)
    {
        var message = Assert.Throws<InvalidOperationException>(() => From(null, (key, value))).Message;

        Assert.Contains(key, message, StringComparison.Ordinal);
    }
}
