using System.Buffers.Binary;
using System.IO.Hashing;

namespace GeoLedger.Storage;

/// <summary>
/// The commit index as last known, kept in <c>log/commit</c> so that a restarted node applies what it
/// knew committed before it hears from a leader (as .NEXT's own log did). A hint, never flushed: an
/// index once committed stays committed, and entries up to it that survive in the log cannot have
/// been replaced, so a stale or lost hint only means applying them later. A damaged file reads as 0.
/// </summary>
internal sealed class CommitHint(string directory)
{
    private readonly string path = Path.Combine(directory, "commit");

    /// <summary>The index stored, or 0.</summary>
    public long Read()
    {
        try
        {
            var bytes = File.ReadAllBytes(path);
            if (bytes.Length == 16 && XxHash3.HashToUInt64(bytes.AsSpan(0, 8)) == BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(8)))
                return BinaryPrimitives.ReadInt64LittleEndian(bytes);
        }
        catch (FileNotFoundException)
        {
        }

        return 0;
    }

    /// <summary>Stores <paramref name="index"/> (in the page cache; the disk gets it when the system writes it back).</summary>
    public void Write(long index)
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, index);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes[8..], XxHash3.HashToUInt64(bytes[..8]));
        using var handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.Write);
        RandomAccess.Write(handle, bytes, 0);
    }
}
