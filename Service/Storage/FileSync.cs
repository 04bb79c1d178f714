using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace GeoLedger.Storage;

/// <summary>
/// Durability primitives: <c>fdatasync</c> for data (the file's blocks and its size, not its
/// timestamps: one disk flush fewer than <c>fsync</c>) and <c>fsync</c> of a folder, which makes a
/// created, renamed or deleted name survive a power loss.
/// </summary>
internal static partial class FileSync
{
    /// <summary>Flushes <paramref name="file"/>'s data (and size) to the disk.</summary>
    /// <exception cref="IOException">The flush failed; what was written since the last successful flush may be lost.</exception>
    public static void Data(SafeFileHandle file)
    {
        if (!OperatingSystem.IsLinux())
        {
            RandomAccess.FlushToDisk(file);
            return;
        }

        while (fdatasync(file) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno != EINTR)
                throw new IOException($"fdatasync failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
        }
    }

    /// <summary>
    /// Allocates <paramref name="length"/> bytes of disk for <paramref name="file"/> (Linux <c>fallocate</c>;
    /// elsewhere, or where the file system cannot, the file is only sized). A full disk throws an
    /// <see cref="IOException"/> whose HResult is ENOSPC, which <see cref="DiskSpace.IsDiskFull"/> knows.
    /// </summary>
    public static void Allocate(SafeFileHandle file, long length)
    {
        if (OperatingSystem.IsLinux())
        {
            while (fallocate(file, 0, 0, length) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == EINTR)
                    continue;
                if (errno is EOPNOTSUPP or ENOSYS)
                    break;
                throw new IOException($"fallocate of {length} bytes failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
            }
        }

        if (RandomAccess.GetLength(file) < length)
            RandomAccess.SetLength(file, length);
    }

    /// <summary>
    /// Writes <paramref name="length"/> bytes of <paramref name="file"/> from <paramref name="offset"/>
    /// out of the page cache and waits for them (Linux <c>sync_file_range</c>; not a durability barrier:
    /// no disk cache flush, no metadata). Used to write a large file out in slices, so the disk's queue
    /// never holds more than a slice ahead of the log's own flushes. Elsewhere, or where the file system
    /// cannot, it does nothing.
    /// </summary>
    /// <exception cref="IOException">The write-back failed.</exception>
    public static void WriteBack(SafeFileHandle file, long offset, long length)
    {
        if (!OperatingSystem.IsLinux())
            return;
        while (sync_file_range(file, offset, length, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == EINTR)
                continue;
            if (errno is ESPIPE or EINVAL or ENOSYS or EOPNOTSUPP)
                return;
            throw new IOException($"sync_file_range failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
        }
    }

    /// <summary>Makes the names in <paramref name="directory"/> durable (a new, renamed or deleted file).</summary>
    public static void Directory(string directory)
    {
        if (OperatingSystem.IsWindows())
            return; // NTFS journals names; a folder cannot be flushed there
        var fd = open(directory, O_RDONLY | (OperatingSystem.IsLinux() ? O_DIRECTORY_LINUX : O_DIRECTORY_MACOS));
        if (fd < 0)
            throw Failure("open", directory);
        try
        {
            while (fsync_fd(fd) != 0)
            {
                if (Marshal.GetLastPInvokeError() != EINTR)
                    throw Failure("fsync", directory);
            }
        }
        finally
        {
            close(fd);
        }
    }

    private static IOException Failure(string call, string directory)
    {
        var errno = Marshal.GetLastPInvokeError();
        return new IOException($"{call} of folder '{directory}' failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
    }

    /// <summary>Writes <paramref name="bytes"/> to a new file at <paramref name="path"/> durably: a temporary file, flushed, renamed, folder flushed.</summary>
    public static void WriteAtomically(string path, ReadOnlySpan<byte> bytes)
    {
        var temporary = path + ".tmp";
        using (var handle = File.OpenHandle(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            MakePrivate(temporary);
            RandomAccess.Write(handle, bytes, 0);
            Data(handle);
        }

        File.Move(temporary, path, overwrite: true);
        Directory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>Gives only the node's user access to a file it created (0600); the data folder itself is 0700.</summary>
    public static void MakePrivate(string path)
    {
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    private const int EINTR = 4;
    private const int EINVAL = 22;
    private const int ESPIPE = 29;
    private const uint SYNC_FILE_RANGE_WAIT_BEFORE = 1;
    private const uint SYNC_FILE_RANGE_WRITE = 2;
    private const uint SYNC_FILE_RANGE_WAIT_AFTER = 4;
    private const int ENOSYS = 38;
    private const int EOPNOTSUPP = 95;
    private const int O_RDONLY = 0;
    private const int O_DIRECTORY_LINUX = 0x10000;
    private const int O_DIRECTORY_MACOS = 0x100000;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fdatasync(SafeFileHandle fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sync_file_range(SafeFileHandle fd, long offset, long nbytes, uint flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fallocate(SafeFileHandle fd, int mode, long offset, long length);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int fsync_fd(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
