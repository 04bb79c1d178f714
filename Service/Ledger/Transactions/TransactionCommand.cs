using System.Buffers.Binary;
using System.Text;

namespace GeoLedger.Ledger.Transactions;

/// <summary>
/// A multi-key transaction, the payload of exactly one Raft log entry: its compares are evaluated when the entry is
/// applied, then the success or the failure branch runs, all at that entry's index (so every write of a transaction
/// carries the same revision).
/// Binary layout (little endian): format version 1, kind byte 3 (<see cref="CommandKind"/> has no 3, so a node that
/// predates transactions decodes it as an unknown command and skips it as a no-op), then the compares
/// (int32 count; each: target byte, result byte, int64 number, key, value), the success and the failure operations
/// (int32 count each; each: kind byte, key, value); a key or value is an int32 length and its UTF-8 bytes.
/// </summary>
public sealed record TransactionCommand(IReadOnlyList<TxnCompare> Compare, IReadOnlyList<TxnOperation> Success, IReadOnlyList<TxnOperation> Failure) : ILedgerProposal
{
    /// <summary>The command kind byte of a transaction (after the format version byte).</summary>
    public const byte Kind = 3;

    private const byte FormatVersion = 1;

    /// <inheritdoc/>
    public string Subject => $"a transaction of {Compare.Count} compares, {Success.Count} + {Failure.Count} operations";

    /// <summary>Bytes of the encoded command: what <c>Ledger:MaxTxnBytes</c> limits.</summary>
    public int EncodedLength =>
        2 + 4 + Compare.Sum(c => 2 + 8 + 4 + Encoding.UTF8.GetByteCount(c.Key) + 4 + c.Value.Length)
        + 4 + Success.Sum(OperationLength) + 4 + Failure.Sum(OperationLength);

    /// <summary>True when <paramref name="payload"/> is a transaction's (whatever its body holds).</summary>
    public static bool IsTransaction(ReadOnlySpan<byte> payload) => payload.Length >= 2 && payload[0] == FormatVersion && payload[1] == Kind;

    /// <inheritdoc/>
    public byte[] Encode()
    {
        var buffer = new byte[EncodedLength];
        var writer = new Writer(buffer);
        writer.Byte(FormatVersion);
        writer.Byte(Kind);
        writer.Int32(Compare.Count);
        foreach (var compare in Compare)
        {
            writer.Byte((byte)compare.Target);
            writer.Byte((byte)compare.Result);
            writer.Int64(compare.Number);
            writer.Text(compare.Key);
            writer.Bytes(compare.Value);
        }

        WriteOperations(ref writer, Success);
        WriteOperations(ref writer, Failure);
        return buffer;
    }

    /// <summary>Decodes a payload written by <see cref="Encode"/>.</summary>
    /// <exception cref="InvalidDataException">The payload is not a well-formed transaction.</exception>
    public static TransactionCommand Decode(ReadOnlySpan<byte> bytes)
    {
        if (!IsTransaction(bytes))
            throw new InvalidDataException("Not a transaction");
        var reader = new Reader(bytes[2..]);
        var compares = new TxnCompare[reader.Count(minimumItemBytes: 18)];
        for (var i = 0; i < compares.Length; i++)
        {
            var target = (CompareTarget)reader.Byte();
            var result = (CompareResult)reader.Byte();
            if (target is < CompareTarget.Revision or > CompareTarget.Exists || result is < CompareResult.Equal or > CompareResult.Less)
                throw new InvalidDataException($"Unknown compare {(byte)target}/{(byte)result}");
            var number = reader.Int64();
            compares[i] = new TxnCompare(reader.Text(), target, result, number, reader.Bytes());
        }

        var success = ReadOperations(ref reader);
        var failure = ReadOperations(ref reader);
        if (!reader.AtEnd)
            throw new InvalidDataException("Transaction has bytes after its last operation");
        return new TransactionCommand(compares, success, failure);
    }

    private static int OperationLength(TxnOperation operation) => 1 + 4 + Encoding.UTF8.GetByteCount(operation.Key) + 4 + operation.Value.Length;

    private static void WriteOperations(ref Writer writer, IReadOnlyList<TxnOperation> operations)
    {
        writer.Int32(operations.Count);
        foreach (var operation in operations)
        {
            writer.Byte((byte)operation.Kind);
            writer.Text(operation.Key);
            writer.Bytes(operation.Value);
        }
    }

    private static TxnOperation[] ReadOperations(ref Reader reader)
    {
        var operations = new TxnOperation[reader.Count(minimumItemBytes: 9)];
        for (var i = 0; i < operations.Length; i++)
        {
            var kind = (TxnOperationKind)reader.Byte();
            if (kind is < TxnOperationKind.Put or > TxnOperationKind.Get)
                throw new InvalidDataException($"Unknown transaction operation {(byte)kind}");
            operations[i] = new TxnOperation(kind, reader.Text(), reader.Bytes());
        }

        return operations;
    }

    private ref struct Writer(Span<byte> buffer)
    {
        private readonly Span<byte> buffer = buffer;
        private int position;

        public void Byte(byte value) => buffer[position++] = value;

        public void Int32(int value)
        {
            BinaryPrimitives.WriteInt32LittleEndian(buffer[position..], value);
            position += 4;
        }

        public void Int64(long value)
        {
            BinaryPrimitives.WriteInt64LittleEndian(buffer[position..], value);
            position += 8;
        }

        public void Text(string value)
        {
            var length = Encoding.UTF8.GetBytes(value, buffer[(position + 4)..]);
            Int32(length);
            position += length;
        }

        public void Bytes(ReadOnlySpan<byte> value)
        {
            Int32(value.Length);
            value.CopyTo(buffer[position..]);
            position += value.Length;
        }
    }

    private ref struct Reader(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> bytes = bytes;
        private int position;

        public readonly bool AtEnd => position == bytes.Length;

        public byte Byte()
        {
            Need(1);
            return bytes[position++];
        }

        public int Int32()
        {
            Need(4);
            var value = BinaryPrimitives.ReadInt32LittleEndian(bytes[position..]);
            position += 4;
            return value;
        }

        public long Int64()
        {
            Need(8);
            var value = BinaryPrimitives.ReadInt64LittleEndian(bytes[position..]);
            position += 8;
            return value;
        }

        /// <summary>A count of items, checked against the bytes left so that garbage cannot make a huge array.</summary>
        public int Count(int minimumItemBytes)
        {
            var count = Int32();
            if (count < 0 || (long)count * minimumItemBytes > bytes.Length - position)
                throw new InvalidDataException("Transaction item count is out of range");
            return count;
        }

        public string Text() => Encoding.UTF8.GetString(Slice());

        public byte[] Bytes() => Slice().ToArray();

        private ReadOnlySpan<byte> Slice()
        {
            var length = Int32();
            if (length < 0)
                throw new InvalidDataException("Transaction length is out of range");
            Need(length);
            var slice = bytes.Slice(position, length);
            position += length;
            return slice;
        }

        private readonly void Need(int count)
        {
            if (count > bytes.Length - position)
                throw new InvalidDataException("Transaction is truncated");
        }
    }
}
