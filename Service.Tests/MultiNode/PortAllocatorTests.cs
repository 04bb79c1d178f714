using GeoLedger.LocalCluster;

namespace GeoLedger.Tests.MultiNode;

/// <summary>The ports nodes and proxies are given before they bind them: none the kernel could hand anyone else meanwhile.</summary>
public sealed class PortAllocatorTests
{
    [Fact]
    public void Ports_come_from_below_the_ephemeral_range_and_are_never_given_twice()
    {
        var ports = Enumerable.Range(0, 3 * PortAllocator.BlockSize).Select(_ => PortAllocator.Next()).ToList();

        Assert.Equal(ports.Count, ports.Distinct().Count());
        Assert.All(ports, port => Assert.InRange(port, PortAllocator.Lowest, PortAllocator.EphemeralStart() - 1));
    }

    [Fact]
    public void A_block_handed_out_here_cannot_be_claimed_by_another_process_while_this_one_lives()
    {
        var port = PortAllocator.Next();
        var block = (port - PortAllocator.Lowest) / PortAllocator.BlockSize;

        // Another process claims a block exactly so; the flock conflicts across processes as it does here.
        var lockFile = Path.Combine(PortAllocator.LockFolder, $"block-{block}.lock");
        Assert.Throws<IOException>(() => new FileStream(lockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
    }
}
