using System.Buffers.Binary;
using System.IO.Hashing;

namespace GeoLedger.Storage;

/// <summary>What a log entry is, besides its payload.</summary>
[Flags]
public enum LogEntryFlags : byte
{
    /// <summary>An ordinary entry.</summary>
    None = 0,

    /// <summary>The entry holds a cluster membership configuration.</summary>
    Configuration = 1,

    /// <summary>The entry carries a .NEXT command id.</summary>
    HasCommandId = 2,
}

/// <summary>
/// One entry as the log stores it: a 40-byte header, then the payload. Header (little endian):
/// payload length (u32), record type (u8, 1), flags (u8), reserved (u16), index (i64), term (i64),
/// command id (i32), reserved (u32), XxHash3 of the first 32 header bytes and the payload (u64).
/// A header of zeros marks the end of a segment's records (segments are zero-filled in advance).
/// </summary>
public static class LogRecord
{
    /// <summary>Bytes before the payload.</summary>
    public const int HeaderSize = 40;

    private const byte EntryType = 1;

    /// <summary>Writes the record of one entry into <paramref name="destination"/>, which must hold <see cref="HeaderSize"/> plus the payload.</summary>
    public static int Write(Span<byte> destination, long index, long term, LogEntryFlags flags, int commandId, ReadOnlySpan<byte> payload)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)payload.Length);
        destination[4] = EntryType;
        destination[5] = (byte)flags;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], 0);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], index);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], term);
        BinaryPrimitives.WriteInt32LittleEndian(destination[24..], commandId);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[28..], 0);
        payload.CopyTo(destination[HeaderSize..]);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[32..], Checksum(destination[..32], payload));
        return HeaderSize + payload.Length;
    }

    /// <summary>The payload length a header declares (read before the payload itself).</summary>
    public static int PayloadLength(ReadOnlySpan<byte> header) => (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(header), int.MaxValue);

    /// <summary>True when the header is all zeros: no record was ever written here.</summary>
    public static bool IsEnd(ReadOnlySpan<byte> header) => !header[..HeaderSize].ContainsAnyExcept((byte)0);

    /// <summary>Parses and verifies a whole record; false when it is torn or damaged.</summary>
    public static bool TryRead(ReadOnlySpan<byte> record, out LogRecordHeader header)
    {
        header = default;
        if (record.Length < HeaderSize || record[4] != EntryType)
            return false;
        var length = PayloadLength(record);
        if (record.Length < HeaderSize + length)
            return false;
        var payload = record.Slice(HeaderSize, length);
        if (BinaryPrimitives.ReadUInt64LittleEndian(record[32..]) != Checksum(record[..32], payload))
            return false;
        header = new LogRecordHeader(
            BinaryPrimitives.ReadInt64LittleEndian(record[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(record[16..]),
            (LogEntryFlags)record[5],
            BinaryPrimitives.ReadInt32LittleEndian(record[24..]),
            length);
        return true;
    }

    private static ulong Checksum(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload)
    {
        var hash = new XxHash3();
        hash.Append(header);
        hash.Append(payload);
        return hash.GetCurrentHashAsUInt64();
    }
}

/// <summary>A verified record header.</summary>
/// <param name="Index">The entry's log index.</param>
/// <param name="Term">The entry's term.</param>
/// <param name="Flags">What the entry is.</param>
/// <param name="CommandId">.NEXT's command id when <see cref="LogEntryFlags.HasCommandId"/> is set.</param>
/// <param name="PayloadLength">Payload bytes after the header.</param>
public readonly record struct LogRecordHeader(long Index, long Term, LogEntryFlags Flags, int CommandId, int PayloadLength);
