using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace GeoLedger.Ledger;

/// <summary>The operation a log entry carries.</summary>
public enum CommandKind : byte
{
    /// <summary>Set the key's value.</summary>
    Put = 1,

    /// <summary>Remove the key.</summary>
    Delete = 2,
}

/// <summary>
/// One ledger command, the payload of exactly one Raft log entry (so every revision is unique).
/// Binary layout (little endian): version byte, kind byte, precondition kind byte,
/// precondition revision (int64), key length (int32) + UTF-8 key, value length (int32) + UTF-8 JSON value.
/// </summary>
public sealed record LedgerCommand(CommandKind Kind, string Key, byte[] Value, Precondition Precondition) : ILedgerProposal
{
    private const byte FormatVersion = 1;
    private const int HeaderSize = 1 + 1 + 1 + 8;

    /// <summary>A put of <paramref name="value"/> (JSON text) under <paramref name="key"/>.</summary>
    public static LedgerCommand Put(string key, byte[] value, Precondition precondition = default) =>
        new(CommandKind.Put, key, value, precondition);

    /// <summary>A delete of <paramref name="key"/>.</summary>
    public static LedgerCommand Delete(string key, Precondition precondition = default) =>
        new(CommandKind.Delete, key, [], precondition);

    /// <inheritdoc/>
    string ILedgerProposal.Subject => $"key {Key}";

    /// <summary>Encodes the command as a log entry payload.</summary>
    public byte[] Encode()
    {
        var keyLength = Encoding.UTF8.GetByteCount(Key);
        var buffer = new byte[HeaderSize + 4 + keyLength + 4 + Value.Length];
        var span = buffer.AsSpan();
        span[0] = FormatVersion;
        span[1] = (byte)Kind;
        span[2] = (byte)Precondition.Kind;
        BinaryPrimitives.WriteInt64LittleEndian(span[3..], Precondition.Revision);
        BinaryPrimitives.WriteInt32LittleEndian(span[HeaderSize..], keyLength);
        Encoding.UTF8.GetBytes(Key, span[(HeaderSize + 4)..]);
        var valueStart = HeaderSize + 4 + keyLength;
        BinaryPrimitives.WriteInt32LittleEndian(span[valueStart..], Value.Length);
        Value.CopyTo(span[(valueStart + 4)..]);
        return buffer;
    }

    /// <summary>Decodes a payload written by <see cref="Encode"/>.</summary>
    /// <exception cref="InvalidDataException">The payload is not a ledger command of a known version.</exception>
    public static LedgerCommand Decode(in ReadOnlySequence<byte> payload)
    {
        var bytes = payload.IsSingleSegment ? payload.FirstSpan : payload.ToArray();
        return Decode(bytes);
    }

    /// <inheritdoc cref="Decode(in ReadOnlySequence{byte})"/>
    public static LedgerCommand Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderSize + 8)
            throw new InvalidDataException($"Ledger command of {bytes.Length} bytes is too short");
        if (bytes[0] != FormatVersion)
            throw new InvalidDataException($"Ledger command format version {bytes[0]} is not supported (expected {FormatVersion})");
        var kind = (CommandKind)bytes[1];
        if (kind is not (CommandKind.Put or CommandKind.Delete))
            throw new InvalidDataException($"Unknown ledger command kind {bytes[1]}");
        var preconditionKind = (PreconditionKind)bytes[2];
        if (preconditionKind > PreconditionKind.Absent)
            throw new InvalidDataException($"Unknown precondition kind {bytes[2]}");
        var revision = BinaryPrimitives.ReadInt64LittleEndian(bytes[3..]);
        var keyLength = BinaryPrimitives.ReadInt32LittleEndian(bytes[HeaderSize..]);
        if (keyLength < 0 || HeaderSize + 4 + keyLength + 4 > bytes.Length)
            throw new InvalidDataException("Ledger command key length is out of range");
        var key = Encoding.UTF8.GetString(bytes.Slice(HeaderSize + 4, keyLength));
        var valueStart = HeaderSize + 4 + keyLength;
        var valueLength = BinaryPrimitives.ReadInt32LittleEndian(bytes[valueStart..]);
        if (valueLength < 0 || valueStart + 4 + valueLength != bytes.Length)
            throw new InvalidDataException("Ledger command value length is out of range");
        var value = bytes.Slice(valueStart + 4, valueLength).ToArray();
        return new LedgerCommand(kind, key, value, new Precondition(preconditionKind, revision));
    }
}
