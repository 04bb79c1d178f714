namespace GeoLedger.Ledger;

/// <summary>
/// An exclusive lock on the data folder for the life of the process: two nodes on one folder
/// would corrupt each other's log, so the second one refuses to start.
/// </summary>
public sealed class DataDirectoryLock : IDisposable
{
    private readonly FileStream handle;

    private DataDirectoryLock(FileStream handle) => this.handle = handle;

    /// <summary>Takes the lock on <paramref name="directory"/>.</summary>
    /// <exception cref="InvalidOperationException">Another process holds it.</exception>
    public static DataDirectoryLock Acquire(string directory)
    {
        var path = Path.Combine(directory, "LOCK");
        try
        {
            var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            return new DataDirectoryLock(stream);
        }
        catch (IOException)
        {
            throw new InvalidOperationException($"Data folder '{directory}' is in use by another GeoLedger process (it holds '{path}'): give each node its own Ledger:DataDirectory");
        }
    }

    /// <inheritdoc/>
    public void Dispose() => handle.Dispose();
}
