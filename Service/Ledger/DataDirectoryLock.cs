using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace GeoLedger.Ledger;

/// <summary>
/// An exclusive lock on the data folder for the life of the process: two nodes on one folder
/// would corrupt each other's log, so the second one refuses to start. On Linux and macOS the lock
/// is an flock on the folder itself, which nothing can delete from under a running node without
/// deleting its data too (a lock file could be removed and a second node would lock a new one).
/// </summary>
public sealed class DataDirectoryLock : IDisposable
{
    private const string ProbeFile = ".write-probe";
    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly SafeFileHandle handle;

    private DataDirectoryLock(SafeFileHandle handle) => this.handle = handle;

    /// <summary>
    /// Creates <paramref name="directory"/> if needed, private to this user (0700, an existing folder tightened),
    /// checks that files can be written and synced in it, and takes the lock. From here on every file and folder the
    /// process creates is private to its user (umask 077): the log and snapshots hold every value.
    /// </summary>
    /// <exception cref="InvalidOperationException">The folder cannot be created or written, or another process holds it; the message names the folder.</exception>
    public static DataDirectoryLock Acquire(string directory)
    {
        if (!OperatingSystem.IsWindows())
            _ = umask(0b000_111_111); // 077
        Create(directory);
        ProbeWritable(directory);
        return OperatingSystem.IsWindows() ? LockFile(directory) : LockFolder(directory);
    }

    /// <inheritdoc/>
    public void Dispose() => handle.Dispose();

    private static void Create(string directory)
    {
        try
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
                return;
            }

            Directory.CreateDirectory(directory, OwnerOnly);
            if ((File.GetUnixFileMode(directory) & ~OwnerOnly) != 0)
                File.SetUnixFileMode(directory, OwnerOnly); // a folder from an older version, or made by hand
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"Data folder '{directory}' cannot be created or made private to this user ({e.Message}): create it for the node's user, or choose another Ledger:DataDirectory");
        }
    }

    /// <summary>A read-only or unwritable folder is found here, with a message that says so, instead of deep in the log's first write.</summary>
    private static void ProbeWritable(string directory)
    {
        var probe = Path.Combine(directory, ProbeFile);
        try
        {
            using (var stream = new FileStream(probe, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.WriteThrough))
            {
                stream.WriteByte(1);
                stream.Flush(flushToDisk: true);
            }

            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"Data folder '{directory}' cannot be written ({e.Message}): a node creates and syncs files there; make it writable for the node's user (and its file system read-write), or choose another Ledger:DataDirectory");
        }
    }

    private static DataDirectoryLock LockFolder(string directory)
    {
        var closeOnExec = OperatingSystem.IsMacOS() ? 0x1000000 : 0x80000;
        var fd = open(directory, closeOnExec); // O_RDONLY (0) | O_CLOEXEC
        if (fd < 0)
            throw new InvalidOperationException($"Data folder '{directory}' cannot be opened to lock it (errno {Marshal.GetLastPInvokeError()}): check its permissions");
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (flock(fd, LockExclusive | LockNonBlocking) == 0)
            return new DataDirectoryLock(handle);
        var errno = Marshal.GetLastPInvokeError();
        handle.Dispose();
        throw errno is 11 or 35 // EWOULDBLOCK on Linux, macOS
            ? InUse(directory)
            : new InvalidOperationException($"Data folder '{directory}' cannot be locked (flock errno {errno}): put it on a local file system");
    }

    /// <summary>Windows keeps a file open without delete sharing from being deleted, so a lock file is enough there.</summary>
    private static DataDirectoryLock LockFile(string directory)
    {
        try
        {
            return new DataDirectoryLock(File.OpenHandle(Path.Combine(directory, "LOCK"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException)
        {
            throw InUse(directory);
        }
    }

    private static InvalidOperationException InUse(string directory) =>
        new($"Data folder '{directory}' is in use by another GeoLedger process (it holds a lock on the folder): give each node its own Ledger:DataDirectory");

    // DllImport, not LibraryImport: the generated marshalling would need unsafe code allowed in this project.
    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static extern int flock(int fd, int operation);

    [DllImport("libc", EntryPoint = "umask")]
    private static extern uint umask(uint mask);
}
