using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace GeoLedger.Cluster;

/// <summary>
/// The layout a read-index question and an acknowledgement share: a 4-byte kind, two 64-bit numbers, a member's Raft
/// endpoint (UTF-8, up to 512 bytes) and the MAC: <c>magic:4 first:8 second:8 memberLength:2 member:utf8 mac:16</c>, big-endian.
/// </summary>
internal static class MemberDatagram
{
    /// <summary>The longest such datagram.</summary>
    public const int MaxLength = HeaderLength + MaxMemberBytes + DatagramMac.Length;

    private const int HeaderLength = 4 + 8 + 8 + 2;
    private const int MaxMemberBytes = 512;

    /// <summary>Writes one into <paramref name="buffer"/> (at least <see cref="MaxLength"/> bytes); its length, or 0 when the member does not fit.</summary>
    public static int Write(Span<byte> buffer, ReadOnlySpan<byte> key, ReadOnlySpan<byte> magic, long first, long second, string member)
    {
        var memberBytes = Encoding.UTF8.GetByteCount(member);
        if (memberBytes > MaxMemberBytes)
            return 0;
        magic.CopyTo(buffer);
        BinaryPrimitives.WriteInt64BigEndian(buffer[4..], first);
        BinaryPrimitives.WriteInt64BigEndian(buffer[12..], second);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[20..], (ushort)memberBytes);
        Encoding.UTF8.GetBytes(member, buffer[HeaderLength..]);
        var signed = HeaderLength + memberBytes;
        DatagramMac.Sign(key, buffer[..signed], buffer.Slice(signed, DatagramMac.Length));
        return signed + DatagramMac.Length;
    }

    /// <summary>Reads one of kind <paramref name="magic"/>; false when it is another kind, malformed, or its MAC is not the key's.</summary>
    public static bool TryRead(ReadOnlySpan<byte> datagram, ReadOnlySpan<byte> key, ReadOnlySpan<byte> magic, out long first, out long second, out string member)
    {
        first = 0;
        second = 0;
        member = "";
        if (datagram.Length < HeaderLength + DatagramMac.Length || !datagram.StartsWith(magic))
            return false;
        var memberBytes = BinaryPrimitives.ReadUInt16BigEndian(datagram[20..]);
        var signed = HeaderLength + memberBytes;
        if (memberBytes > MaxMemberBytes || datagram.Length != signed + DatagramMac.Length || !DatagramMac.Verify(key, datagram[..signed], datagram[signed..]))
            return false;
        first = BinaryPrimitives.ReadInt64BigEndian(datagram[4..]);
        second = BinaryPrimitives.ReadInt64BigEndian(datagram[12..]);
        member = Encoding.UTF8.GetString(datagram.Slice(HeaderLength, memberBytes));
        return true;
    }
}

/// <summary>The MAC every Raft-port datagram ends with: HMAC-SHA256 under the datagram kind's key, cut to <see cref="Length"/> bytes.</summary>
internal static class DatagramMac
{
    /// <summary>Bytes of the MAC.</summary>
    public const int Length = 16;

    /// <summary>Writes the MAC of <paramref name="data"/> into <paramref name="mac"/> (<see cref="Length"/> bytes).</summary>
    public static void Sign(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> mac)
    {
        Span<byte> full = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(key, data, full);
        full[..Length].CopyTo(mac);
    }

    /// <summary>True when <paramref name="mac"/> is the MAC of <paramref name="data"/> (compared in constant time).</summary>
    public static bool Verify(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> mac)
    {
        Span<byte> expected = stackalloc byte[Length];
        Sign(key, data, expected);
        return CryptographicOperations.FixedTimeEquals(expected, mac);
    }
}
