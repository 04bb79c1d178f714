using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace GeoLedger.Ledger;

/// <summary>
/// The snapshot file: magic <c>GLSNAP</c>, format version (int32), revision (int64), entry count (int64),
/// the entries (key length + UTF-8 key, value length + value, revision), then an XxHash64 of all
/// preceding bytes. Anything else — a short file, a wrong version, a bad hash — is refused.
/// </summary>
public static class SnapshotFormat
{
    /// <summary>The version written and the only one read.</summary>
    public const int Version = 1;

    private static ReadOnlySpan<byte> Magic => "GLSNAP"u8;
    private const int HeaderSize = 6 + 4 + 8 + 8;
    private const int FlushThreshold = 256 * 1024;

    /// <summary>Writes a snapshot of <paramref name="entries"/> at <paramref name="revision"/> in chunks to <paramref name="sink"/>.</summary>
    public static async ValueTask WriteAsync(IReadOnlyList<LedgerEntry> entries, long revision, Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> sink, CancellationToken token)
    {
        var hash = new XxHash64();
        var buffer = new ArrayBufferWriter<byte>(FlushThreshold * 2);

        var header = buffer.GetSpan(HeaderSize);
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header[6..], Version);
        BinaryPrimitives.WriteInt64LittleEndian(header[10..], revision);
        BinaryPrimitives.WriteInt64LittleEndian(header[18..], entries.Count);
        buffer.Advance(HeaderSize);

        foreach (var entry in entries)
        {
            var keyLength = Encoding.UTF8.GetByteCount(entry.Key);
            var span = buffer.GetSpan(4 + keyLength + 4 + entry.Value.Length + 8);
            BinaryPrimitives.WriteInt32LittleEndian(span, keyLength);
            Encoding.UTF8.GetBytes(entry.Key, span[4..]);
            BinaryPrimitives.WriteInt32LittleEndian(span[(4 + keyLength)..], entry.Value.Length);
            entry.Value.CopyTo(span[(8 + keyLength)..]);
            BinaryPrimitives.WriteInt64LittleEndian(span[(8 + keyLength + entry.Value.Length)..], entry.Revision);
            buffer.Advance(4 + keyLength + 4 + entry.Value.Length + 8);
            if (buffer.WrittenCount >= FlushThreshold)
                await FlushAsync().ConfigureAwait(false);
        }

        await FlushAsync().ConfigureAwait(false);
        var trailer = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(trailer, hash.GetCurrentHashAsUInt64());
        await sink(trailer, token).ConfigureAwait(false);

        async ValueTask FlushAsync()
        {
            if (buffer.WrittenCount == 0)
                return;
            var chunk = buffer.WrittenMemory.ToArray();
            hash.Append(chunk);
            buffer.ResetWrittenCount();
            await sink(chunk, token).ConfigureAwait(false);
        }
    }

    /// <summary>Reads and verifies a snapshot file.</summary>
    /// <exception cref="SnapshotCorruptedException">The file is not an intact snapshot of a supported version.</exception>
    public static async ValueTask<(List<LedgerEntry> Entries, long Revision)> ReadAsync(string path, CancellationToken token)
    {
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(path, token).ConfigureAwait(false);
        }
        catch (IOException e)
        {
            throw new SnapshotCorruptedException(path, $"cannot be read: {e.Message}");
        }

        return Parse(bytes, path);
    }

    /// <summary>Parses and verifies snapshot bytes; <paramref name="path"/> names the source in errors.</summary>
    /// <exception cref="SnapshotCorruptedException">The bytes are not an intact snapshot of a supported version.</exception>
    public static (List<LedgerEntry> Entries, long Revision) Parse(ReadOnlySpan<byte> bytes, string path)
    {
        if (bytes.Length < HeaderSize + 8 || !bytes[..6].SequenceEqual(Magic))
            throw new SnapshotCorruptedException(path, "is not a GeoLedger snapshot (bad header or truncated)");
        var version = BinaryPrimitives.ReadInt32LittleEndian(bytes[6..]);
        if (version != Version)
            throw new SnapshotCorruptedException(path, $"has format version {version}; this build reads version {Version}");
        var body = bytes[..^8];
        var expected = BinaryPrimitives.ReadUInt64LittleEndian(bytes[^8..]);
        if (XxHash64.HashToUInt64(body) != expected)
            throw new SnapshotCorruptedException(path, "fails its checksum (the file was damaged or truncated)");

        var revision = BinaryPrimitives.ReadInt64LittleEndian(bytes[10..]);
        var count = BinaryPrimitives.ReadInt64LittleEndian(bytes[18..]);
        if (count < 0 || count > body.Length)
            throw new SnapshotCorruptedException(path, $"declares {count} entries, which cannot fit");
        var entries = new List<LedgerEntry>((int)count);
        var offset = HeaderSize;
        try
        {
            for (long i = 0; i < count; i++)
            {
                var keyLength = BinaryPrimitives.ReadInt32LittleEndian(body[offset..]);
                var key = Encoding.UTF8.GetString(body.Slice(offset + 4, keyLength));
                offset += 4 + keyLength;
                var valueLength = BinaryPrimitives.ReadInt32LittleEndian(body[offset..]);
                var value = body.Slice(offset + 4, valueLength).ToArray();
                offset += 4 + valueLength;
                var entryRevision = BinaryPrimitives.ReadInt64LittleEndian(body[offset..]);
                offset += 8;
                entries.Add(new LedgerEntry(key, value, entryRevision));
            }
        }
        catch (ArgumentOutOfRangeException)
        {
            throw new SnapshotCorruptedException(path, "has an entry that runs past the end of the file");
        }

        if (offset != body.Length)
            throw new SnapshotCorruptedException(path, $"has {body.Length - offset} unexpected bytes after its entries");
        return (entries, revision);
    }
}
