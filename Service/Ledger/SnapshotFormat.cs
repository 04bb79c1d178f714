using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace GeoLedger.Ledger;

/// <summary>
/// The snapshot file, checksummed end to end (XxHash64 of every byte before the 8-byte trailer).
/// Version 2 (written): magic <c>GLSNAP</c>, version (int32), log index (int64), log term (int64),
/// store revision (int64), entry count (int64), the entries in key order (key length + UTF-8 key,
/// value length + value, revision), trailer. Version 1 (read, written before GeoLedger had its own
/// log): magic, version, revision, count, entries, trailer; its index and term come from the file
/// name. Anything else — a short file, an unknown version, a bad hash — is refused.
/// </summary>
public static class SnapshotFormat
{
    /// <summary>The version written.</summary>
    public const int Version = 2;

    private static ReadOnlySpan<byte> Magic => "GLSNAP"u8;
    private const int HeaderSizeV1 = 6 + 4 + 8 + 8;
    private const int HeaderSizeV2 = 6 + 4 + 8 + 8 + 8 + 8;
    private const int ChunkBytes = 256 * 1024;

    /// <summary>Writes <paramref name="version"/> as the snapshot at log <paramref name="index"/> and <paramref name="term"/> to <paramref name="output"/>.</summary>
    public static void Write(Stream output, StoreVersion version, long index, long term, CancellationToken token)
    {
        var hash = new XxHash64();
        var buffer = new ArrayBufferWriter<byte>(ChunkBytes * 2);
        var header = buffer.GetSpan(HeaderSizeV2);
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header[6..], Version);
        BinaryPrimitives.WriteInt64LittleEndian(header[10..], index);
        BinaryPrimitives.WriteInt64LittleEndian(header[18..], term);
        BinaryPrimitives.WriteInt64LittleEndian(header[26..], version.Revision);
        BinaryPrimitives.WriteInt64LittleEndian(header[34..], version.Keys.Count);
        buffer.Advance(HeaderSizeV2);

        foreach (var entry in version.Keys.All())
        {
            var keyLength = Encoding.UTF8.GetByteCount(entry.Key);
            var size = 4 + keyLength + 4 + entry.Value.Length + 8;
            var span = buffer.GetSpan(size);
            BinaryPrimitives.WriteInt32LittleEndian(span, keyLength);
            Encoding.UTF8.GetBytes(entry.Key, span[4..]);
            BinaryPrimitives.WriteInt32LittleEndian(span[(4 + keyLength)..], entry.Value.Length);
            entry.Value.CopyTo(span[(8 + keyLength)..]);
            BinaryPrimitives.WriteInt64LittleEndian(span[(8 + keyLength + entry.Value.Length)..], entry.Revision);
            buffer.Advance(size);
            if (buffer.WrittenCount >= ChunkBytes)
            {
                token.ThrowIfCancellationRequested();
                Flush();
            }
        }

        Flush();
        Span<byte> trailer = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(trailer, hash.GetCurrentHashAsUInt64());
        output.Write(trailer);

        void Flush()
        {
            hash.Append(buffer.WrittenSpan);
            output.Write(buffer.WrittenSpan);
            buffer.ResetWrittenCount();
        }
    }

    /// <summary>Reads and verifies a snapshot file; <paramref name="nameIndex"/> and <paramref name="nameTerm"/> (from its name) serve version 1.</summary>
    /// <exception cref="SnapshotCorruptedException">The file is not an intact snapshot of a supported version.</exception>
    public static SnapshotContent Read(string path, long nameIndex, long nameTerm)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (IOException e)
        {
            throw new SnapshotCorruptedException(path, $"cannot be read: {e.Message}");
        }

        return Parse(bytes, path, nameIndex, nameTerm);
    }

    /// <summary>Parses and verifies snapshot bytes; <paramref name="path"/> names the source in errors.</summary>
    /// <exception cref="SnapshotCorruptedException">The bytes are not an intact snapshot of a supported version.</exception>
    public static SnapshotContent Parse(ReadOnlySpan<byte> bytes, string path, long nameIndex = 0, long nameTerm = 0)
    {
        if (bytes.Length < HeaderSizeV1 + 8 || !bytes[..6].SequenceEqual(Magic))
            throw new SnapshotCorruptedException(path, "is not a GeoLedger snapshot (bad header or truncated)");
        var version = BinaryPrimitives.ReadInt32LittleEndian(bytes[6..]);
        if (version is not (1 or 2))
            throw new SnapshotCorruptedException(path, $"has format version {version}; this build reads versions 1 and {Version}");
        var body = bytes[..^8];
        if (XxHash64.HashToUInt64(body) != BinaryPrimitives.ReadUInt64LittleEndian(bytes[^8..]))
            throw new SnapshotCorruptedException(path, "fails its checksum (the file was damaged or truncated)");

        long index, term, revision, count;
        int offset;
        if (version == 1)
        {
            revision = BinaryPrimitives.ReadInt64LittleEndian(bytes[10..]);
            count = BinaryPrimitives.ReadInt64LittleEndian(bytes[18..]);
            (index, term) = (nameIndex > 0 ? nameIndex : revision, nameTerm);
            offset = HeaderSizeV1;
        }
        else
        {
            if (body.Length < HeaderSizeV2)
                throw new SnapshotCorruptedException(path, "is shorter than its header");
            index = BinaryPrimitives.ReadInt64LittleEndian(bytes[10..]);
            term = BinaryPrimitives.ReadInt64LittleEndian(bytes[18..]);
            revision = BinaryPrimitives.ReadInt64LittleEndian(bytes[26..]);
            count = BinaryPrimitives.ReadInt64LittleEndian(bytes[34..]);
            offset = HeaderSizeV2;
        }

        if (count < 0 || count > body.Length)
            throw new SnapshotCorruptedException(path, $"declares {count} entries, which cannot fit");
        var entries = new List<LedgerEntry>((int)count);
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
        try
        {
            return new SnapshotContent(index, term, new StoreVersion(KeyTree.FromSorted(entries), revision));
        }
        catch (ArgumentException e)
        {
            throw new SnapshotCorruptedException(path, $"has keys out of order ({e.Message})");
        }
    }
}

/// <summary>What a snapshot holds.</summary>
/// <param name="Index">The last log entry it covers.</param>
/// <param name="Term">That entry's term.</param>
/// <param name="State">The store as of that entry.</param>
public sealed record SnapshotContent(long Index, long Term, StoreVersion State);
