using System.Globalization;

namespace GeoLedger.Tests.Hostile;

/// <summary>What a node process holds, read from <c>/proc</c>: memory now and at its peak, and open sockets.</summary>
public static class ProcessProbe
{
    /// <summary>Resident memory now (VmRSS), in bytes.</summary>
    public static long RssBytes(int pid) => StatusKilobytes(pid, "VmRSS:") * 1024;

    /// <summary>The highest resident memory since the process started (VmHWM), in bytes.</summary>
    public static long PeakRssBytes(int pid) => StatusKilobytes(pid, "VmHWM:") * 1024;

    /// <summary>Open socket descriptors: every connection the process holds, listeners and outgoing ones included; -1 once it has exited.</summary>
    public static int Sockets(int pid)
    {
        var folder = $"/proc/{pid}/fd";
        if (!Directory.Exists(folder))
            return -1;
        var count = 0;
        foreach (var fd in Directory.EnumerateFileSystemEntries(folder))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:", StringComparison.Ordinal))
                    count++;
            }
            catch (IOException)
            {
                // closed while we looked
            }
        }

        return count;
    }

    /// <summary>Open descriptors of every kind (sockets, files, pipes); -1 once it has exited.</summary>
    public static int Descriptors(int pid)
    {
        var folder = $"/proc/{pid}/fd";
        try
        {
            return Directory.Exists(folder) ? Directory.EnumerateFileSystemEntries(folder).Count() : -1;
        }
        catch (DirectoryNotFoundException)
        {
            return -1;
        }
    }

    /// <summary>Megabytes, for messages.</summary>
    public static string Mb(long bytes) => (bytes / 1024.0 / 1024.0).ToString("0", CultureInfo.InvariantCulture) + " MB";

    private static long StatusKilobytes(int pid, string field)
    {
        if (!File.Exists($"/proc/{pid}/status"))
            return -1;
        var line = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith(field, StringComparison.Ordinal));
        return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }
}
