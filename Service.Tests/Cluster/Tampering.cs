namespace GeoLedger.Tests.Cluster;

/// <summary>For the Raft port's datagrams: a reader takes the datagram as written and refuses every changed copy of it.</summary>
internal static class Tampering
{
    /// <summary>Asserts that <paramref name="reads"/> takes <paramref name="datagram"/> and refuses it with any one bit flipped, cut short by a byte or one byte longer.</summary>
    public static void AssertEveryChangeRefused(byte[] datagram, Func<byte[], bool> reads)
    {
        Assert.True(reads(datagram), "the datagram as written is not read");
        Assert.False(reads(datagram[..^1]), "read when cut short by a byte");
        Assert.False(reads([.. datagram, 0]), "read with a byte more");
        for (var i = 0; i < datagram.Length; i++)
        {
            var changed = datagram.ToArray();
            changed[i] ^= 0x01;
            Assert.False(reads(changed), $"read with byte {i} changed");
        }
    }
}
