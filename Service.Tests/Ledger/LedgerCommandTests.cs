using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using GeoLedger.Ledger;

namespace GeoLedger.Tests.Ledger;

/// <summary>The log entry payload: encode/decode round trip and garbage refused.</summary>
public sealed class LedgerCommandTests
{
    public static TheoryData<PreconditionKind, long> Preconditions => new()
    {
        { PreconditionKind.None, 0 },
        { PreconditionKind.RevisionEquals, 42 },
        { PreconditionKind.RevisionEquals, long.MaxValue },
        { PreconditionKind.Exists, 0 },
        { PreconditionKind.Absent, 0 },
    };

    private static void AssertSame(LedgerCommand expected, LedgerCommand actual)
    {
        Assert.Equal(expected.Kind, actual.Kind);
        Assert.Equal(expected.Key, actual.Key);
        Assert.Equal(expected.Value, actual.Value);
        Assert.Equal(expected.Precondition, actual.Precondition);
    }

    [Theory]
    [MemberData(nameof(Preconditions))]
    public void A_put_round_trips(PreconditionKind kind, long revision)
    {
        var command = LedgerCommand.Put("dir/ключ 🔑", Encoding.UTF8.GetBytes("{\"a\":[1,\"ü\"]}"), new Precondition(kind, revision));

        AssertSame(command, LedgerCommand.Decode(command.Encode()));
    }

    [Theory]
    [MemberData(nameof(Preconditions))]
    public void A_delete_round_trips(PreconditionKind kind, long revision)
    {
        var command = LedgerCommand.Delete("k", new Precondition(kind, revision));

        var decoded = LedgerCommand.Decode(command.Encode());

        AssertSame(command, decoded);
        Assert.Empty(decoded.Value);
    }

    [Fact]
    public void A_payload_split_across_segments_decodes()
    {
        var command = LedgerCommand.Put("segmented", Encoding.UTF8.GetBytes("[1,2,3]"), new Precondition(PreconditionKind.RevisionEquals, 9));
        var bytes = command.Encode();
        var first = new Segment(bytes.AsMemory(0, 5));
        var last = first.Append(bytes.AsMemory(5));

        var decoded = LedgerCommand.Decode(new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length));

        AssertSame(command, decoded);
    }

    public static TheoryData<string, byte[]> Garbage()
    {
        var valid = LedgerCommand.Put("key", Encoding.UTF8.GetBytes("1")).Encode();
        byte[] With(Action<byte[]> damage)
        {
            var copy = (byte[])valid.Clone();
            damage(copy);
            return copy;
        }

        return new()
        {
            { "empty", [] },
            { "too short", valid[..10] },
            { "unknown format version", With(b => b[0] = 9) },
            { "unknown kind", With(b => b[1] = 3) },
            { "kind zero", With(b => b[1] = 0) },
            { "unknown precondition", With(b => b[2] = 4) },
            { "negative key length", With(b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(11), -1)) },
            { "key length past the end", With(b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(11), 1_000)) },
            { "value length past the end", With(b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(18), 2)) },
            { "negative value length", With(b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(18), -1)) },
            { "trailing byte", [.. valid, 0] },
            { "text", Encoding.UTF8.GetBytes("PUT key value, not a command") },
        };
    }

    [Theory]
    [MemberData(nameof(Garbage))]
    public void Garbage_is_refused_as_invalid_data(string what, byte[] payload)
    {
        var e = Assert.Throws<InvalidDataException>(() => LedgerCommand.Decode(payload));

        Assert.False(string.IsNullOrWhiteSpace(e.Message), what);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }
}
