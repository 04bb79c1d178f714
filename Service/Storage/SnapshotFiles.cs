using System.Buffers.Binary;
using System.IO.Hashing;
using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft;
using GeoLedger.Ledger;

namespace GeoLedger.Storage;

/// <summary>A snapshot file on disk.</summary>
/// <param name="Path">The file.</param>
/// <param name="Index">The last log entry it covers.</param>
/// <param name="Term">That entry's term.</param>
public sealed record SnapshotFile(string Path, long Index, long Term);

/// <summary>
/// The snapshot folder: files named <c>index-term</c>, each published only once complete (written to
/// a temporary name, flushed, renamed, folder flushed), so a crash leaves either the whole new
/// snapshot or none of it. Older snapshots are deleted once a newer one is published.
/// </summary>
public sealed class SnapshotFiles
{
    private const string TemporaryPrefix = ".incoming-";

    /// <summary>How much of a snapshot may wait in the disk's queue ahead of the log's flushes.</summary>
    private const long WriteBackSliceBytes = 1024 * 1024;

    /// <summary>Uses (and creates, mode 0700) <paramref name="directory"/>; removes snapshots left unfinished by a crash.</summary>
    public SnapshotFiles(string directory)
    {
        Directory = directory;
        System.IO.Directory.CreateDirectory(directory);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (var leftover in System.IO.Directory.EnumerateFiles(directory, TemporaryPrefix + "*"))
            File.Delete(leftover);
    }

    /// <summary>The folder.</summary>
    public string Directory { get; }

    /// <summary>The snapshot with the highest index, or null when there is none.</summary>
    public SnapshotFile? Newest() => All().MaxBy(s => s.Index);

    /// <summary>Every published snapshot.</summary>
    public IEnumerable<SnapshotFile> All()
    {
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory))
        {
            var parts = Path.GetFileName(path).Split('-');
            if (parts.Length == 2 && long.TryParse(parts[0], out var index) && long.TryParse(parts[1], out var term) && index > 0)
                yield return new SnapshotFile(path, index, term);
        }
    }

    /// <summary>Writes and publishes the snapshot of <paramref name="state"/> at log <paramref name="index"/> and <paramref name="term"/>.</summary>
    public SnapshotFile Write(StoreVersion state, long index, long term, CancellationToken token) =>
        Publish(index, term, temporary =>
        {
            using var stream = OpenTemporary(temporary);
            SnapshotFormat.Write(stream, state, index, term, token);
            stream.Flush();
        });

    /// <summary>Stores a snapshot streamed by the leader, verifies its checksum and publishes it.</summary>
    /// <exception cref="SnapshotCorruptedException">The received bytes are not an intact snapshot.</exception>
    public async Task<SnapshotFile> ReceiveAsync<TSnapshot>(TSnapshot snapshot, long index, CancellationToken token)
        where TSnapshot : IRaftLogEntry
    {
        var temporary = TemporaryPath(index, snapshot.Term);
        try
        {
            await using (var stream = OpenTemporary(temporary))
            {
                await snapshot.WriteToAsync(stream, 64 * 1024, token).ConfigureAwait(false);
                stream.Flush();
            }

            Verify(temporary);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }

        return Publish(index, snapshot.Term, _ => { });
    }

    /// <summary>Deletes every snapshot older than <paramref name="index"/>.</summary>
    public void DeleteOlderThan(long index)
    {
        foreach (var old in All().Where(s => s.Index < index).ToList())
            File.Delete(old.Path);
    }

    private SnapshotFile Publish(long index, long term, Action<string> writeTemporary)
    {
        var temporary = TemporaryPath(index, term);
        var path = Path.Combine(Directory, $"{index}-{term}");
        try
        {
            writeTemporary(temporary);
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }

        FileSync.Directory(Directory);
        return new SnapshotFile(path, index, term);
    }

    private string TemporaryPath(long index, long term) => Path.Combine(Directory, $"{TemporaryPrefix}{index}-{term}");

    /// <summary>Opens a file for a snapshot being written; its <see cref="Stream.Flush()"/> makes it durable.</summary>
    private static PacedWriteStream OpenTemporary(string path)
    {
        var settings = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 1024 * 1024 };
        if (!OperatingSystem.IsWindows())
            settings.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return new PacedWriteStream(new FileStream(path, settings), WriteBackSliceBytes);
    }

    /// <summary>Checks the trailer hash of a received file without parsing it.</summary>
    private static void Verify(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1024 * 1024);
        var length = stream.Length;
        if (length < 8 + 26)
            throw new SnapshotCorruptedException(path, "is too short to be a snapshot (the transfer was cut)");
        var hash = new XxHash64();
        var buffer = new byte[1024 * 1024];
        var remaining = length - 8;
        while (remaining > 0)
        {
            var read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, remaining));
            if (read <= 0)
                throw new SnapshotCorruptedException(path, "ended early");
            hash.Append(buffer.AsSpan(0, read));
            remaining -= read;
        }

        Span<byte> trailer = stackalloc byte[8];
        stream.ReadExactly(trailer);
        if (hash.GetCurrentHashAsUInt64() != BinaryPrimitives.ReadUInt64LittleEndian(trailer))
            throw new SnapshotCorruptedException(path, "fails its checksum (the transfer was damaged)");
    }
}
