namespace GeoLedger.Storage;

/// <summary>
/// Whether the disk holding the data folder has room for writes: below <c>Ledger:MinFreeDiskBytes</c>
/// a write is refused before anything is appended (507, not attempted), so a full disk never leaves a
/// write half done, reads go on, and writes resume by themselves once there is room again.
/// </summary>
public sealed class DiskSpace(string dataDirectory, long minimumFreeBytes)
{
    private const int ENOSPC = 28;
    private const long LowSpaceMargin = 256L * 1024 * 1024;
    private long checkedAt = -1_000_000; // never: Environment.TickCount64 starts at 0 (long.MinValue would overflow the subtraction)
    private long available = long.MaxValue;

    /// <summary>Bytes the disk must keep free for writes to be taken.</summary>
    public long MinimumFreeBytes { get; } = minimumFreeBytes;

    /// <summary>True when writes must be refused now; <paramref name="detail"/> then says how full the disk is.</summary>
    public bool IsFull(out string detail)
    {
        var now = Environment.TickCount64;
        // Checked at most every 100 ms while there is plenty of room; before every write once space runs low.
        if (now - Volatile.Read(ref checkedAt) > 100 || Volatile.Read(ref available) - MinimumFreeBytes < MinimumFreeBytes + LowSpaceMargin)
        {
            try
            {
                Volatile.Write(ref available, new DriveInfo(dataDirectory).AvailableFreeSpace);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
            {
                Volatile.Write(ref available, long.MaxValue); // cannot tell: the write itself will say
            }

            Volatile.Write(ref checkedAt, now);
        }

        var free = Volatile.Read(ref available);
        if (free >= MinimumFreeBytes)
        {
            detail = "";
            return false;
        }

        detail = $"The disk of data folder '{dataDirectory}' has {free / (1024 * 1024)} MiB free; writes need {MinimumFreeBytes / (1024 * 1024)} MiB (Ledger:MinFreeDiskBytes).";
        return true;
    }

    /// <summary>
    /// True when <paramref name="e"/> itself is the operating system saying the disk is full (an append
    /// refused). A flush failure wraps its cause and is not matched: what it covered may be appended.
    /// </summary>
    public static bool IsDiskFull(IOException e) =>
        e.HResult == ENOSPC || (OperatingSystem.IsWindows() && (e.HResult & 0xFFFF) == 0x70 /* ERROR_DISK_FULL */);
}
