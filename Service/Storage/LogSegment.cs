using System.Buffers.Binary;
using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;

namespace GeoLedger.Storage;

/// <summary>
/// One file of the log, <c>NNNNNNNNNN.seg</c> by sequence number: a 64-byte header (magic
/// <c>GLLOGSEG</c>, format version, sequence, index of its first entry, XxHash3 of the header), then
/// records from offset 64. A segment is created zero-filled to its capacity ahead of use (a spare,
/// header all zeros), so appending overwrites allocated blocks and a zero header marks the end.
/// </summary>
internal sealed class LogSegment : IDisposable
{
    /// <summary>Bytes of the segment header; records start here.</summary>
    public const int HeaderSize = 64;

    private const int FormatVersion = 1;

    private static ReadOnlySpan<byte> Magic => "GLLOGSEG"u8;

    private LogSegment(string path, long sequence, SafeFileHandle handle, long capacity)
    {
        Path = path;
        Sequence = sequence;
        Handle = handle;
        Capacity = capacity;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>Its sequence number, from its name.</summary>
    public long Sequence { get; }

    /// <summary>The open file (read and write).</summary>
    public SafeFileHandle Handle { get; }

    /// <summary>Bytes allocated in advance; a record that does not fit goes to the next segment unless the segment is empty.</summary>
    public long Capacity { get; }

    /// <summary>Index of the first entry; 0 while the segment is a spare.</summary>
    public long FirstIndex { get; private set; }

    /// <summary>Where the next record goes.</summary>
    public long WriteOffset { get; set; } = HeaderSize;

    /// <summary>The furthest offset ever written: bytes up to here may hold old records after a truncation.</summary>
    public long HighWater { get; set; } = HeaderSize;

    /// <summary>Written since the flusher last took it.</summary>
    public bool Dirty { get; set; }

    /// <summary>True once it holds a header (it was activated).</summary>
    public bool IsActive => FirstIndex > 0;

    /// <summary>The file name of sequence <paramref name="sequence"/>.</summary>
    public static string FileName(long sequence) => $"{sequence:D10}.seg";

    /// <summary>
    /// Creates a spare: zero-filled to <paramref name="capacity"/> and flushed, so that appends overwrite
    /// allocated blocks (one disk write per flush instead of two). The caller makes the name durable.
    /// </summary>
    public static LogSegment CreateSpare(string directory, long sequence, long capacity, bool zeroFill)
    {
        var path = System.IO.Path.Combine(directory, FileName(sequence));
        var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.Read);
        try
        {
            FileSync.MakePrivate(path);
            FileSync.Allocate(handle, capacity); // a full disk says so here (ENOSPC), not at a later append
            if (zeroFill)
            {
                var zeros = new byte[Math.Min(capacity, 1 << 20)];
                for (long offset = 0; offset < capacity; offset += zeros.Length)
                    RandomAccess.Write(handle, zeros.AsSpan(0, (int)Math.Min(zeros.Length, capacity - offset)), offset);
            }

            FileSync.Data(handle);
            return new LogSegment(path, sequence, handle, capacity);
        }
        catch
        {
            handle.Dispose();
            File.Delete(path);
            throw;
        }
    }

    /// <summary>Opens an existing segment file; its header is read by <see cref="TryReadHeader"/>.</summary>
    public static LogSegment Open(string path, long sequence)
    {
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        return new LogSegment(path, sequence, handle, RandomAccess.GetLength(handle));
    }

    /// <summary>Writes the header that makes a spare the segment starting at <paramref name="firstIndex"/> (flushed with its first records).</summary>
    public void Activate(long firstIndex)
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        header.Clear();
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], FormatVersion);
        BinaryPrimitives.WriteInt64LittleEndian(header[16..], Sequence);
        BinaryPrimitives.WriteInt64LittleEndian(header[24..], firstIndex);
        BinaryPrimitives.WriteUInt64LittleEndian(header[56..], XxHash3.HashToUInt64(header[..56]));
        RandomAccess.Write(Handle, header, 0);
        FirstIndex = firstIndex;
        Dirty = true;
    }

    /// <summary>Reads the header: the first index, 0 for a spare, or null when the header is damaged.</summary>
    public long? TryReadHeader()
    {
        Span<byte> header = stackalloc byte[HeaderSize];
        if (RandomAccess.Read(Handle, header, 0) < HeaderSize)
            return null;
        if (!header.ContainsAnyExcept((byte)0))
            return 0;
        if (!header[..8].SequenceEqual(Magic) || BinaryPrimitives.ReadUInt64LittleEndian(header[56..]) != XxHash3.HashToUInt64(header[..56]))
            return null;
        if (BinaryPrimitives.ReadInt32LittleEndian(header[8..]) != FormatVersion)
            throw new InvalidDataException($"log segment '{Path}' has format version {BinaryPrimitives.ReadInt32LittleEndian(header[8..])}; this build reads version {FormatVersion}");
        FirstIndex = BinaryPrimitives.ReadInt64LittleEndian(header[24..]);
        return FirstIndex;
    }

    /// <inheritdoc/>
    public void Dispose() => Handle.Dispose();
}
