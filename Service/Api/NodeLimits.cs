using System.Globalization;

namespace GeoLedger.Api;

/// <summary>
/// What one node takes on at once (<c>Ledger:*</c> settings): connections per port, bytes of request bodies in flight
/// (node-wide and per client), and bytes of list pages. Past a limit the node refuses or sheds work instead of running
/// out of memory or file descriptors.
/// </summary>
public sealed class NodeLimits
{
    /// <summary>Bodies above this size are large: together they may use only half of <see cref="MaxInFlightBytes"/>.</summary>
    public const int LargeRequestBytes = 64 * 1024;

    /// <summary>
    /// Descriptors kept free of connections, at least this many or a quarter of the limit: a node holds about 230 with no
    /// connection at all (two per loaded assembly), plus its log and snapshot files and outgoing Raft connections.
    /// </summary>
    public const int ReservedFileDescriptors = 512;

    /// <summary>Connections the client port holds at once; past it the longest-idle one is closed for a new one.</summary>
    public int MaxClientConnections { get; set; } = 8192;

    /// <summary>Connections the Raft port holds at once, counted apart so that clients never take Raft's.</summary>
    public int MaxRaftConnections { get; set; } = 256;

    /// <summary>
    /// Bytes of request bodies the node holds in flight (read, replicated, not yet answered); past it: 429. Every byte
    /// admitted is replicated before the writes behind it: 16 writers of 1 MiB values with 8 MiB in flight cost the
    /// leader its leadership on a loaded 2-core machine, with 4 MiB they did not (LargeWriterTests).
    /// </summary>
    public long MaxInFlightBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>The share of <see cref="MaxInFlightBytes"/> one client (token, or address without authentication) may hold.</summary>
    public long MaxInFlightBytesPerClient { get; set; } = 4L * 1024 * 1024;

    /// <summary>Bytes of entries in one list page (keys and values); a page stops before it would pass this, after at least one entry.</summary>
    public int MaxListPageBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Bytes of list pages being sent at once, node-wide; past it: 429.</summary>
    public long MaxListBytesInFlight { get; set; } = 64L * 1024 * 1024;

    /// <summary>True when the connection caps were lowered to fit the process's open-file limit.</summary>
    public bool LoweredToFileLimit { get; private set; }

    /// <summary>The process's open-file limit when it was read, or null where it cannot be read.</summary>
    public long? FileLimit { get; private set; }

    /// <summary>Binds the <c>Ledger</c> section, checks it, and fits the connection caps to the open-file limit.</summary>
    /// <exception cref="InvalidOperationException">A setting is out of range, or the open-file limit is too low to run; the message names it.</exception>
    public static NodeLimits From(IConfiguration configuration, long? fileLimit)
    {
        var limits = configuration.GetSection("Ledger").Get<NodeLimits>() ?? new NodeLimits();
        limits.Validate();
        limits.FitTo(fileLimit);
        return limits;
    }

    /// <summary>The soft open-file limit (RLIMIT_NOFILE) of this process from <c>/proc/self/limits</c>; null elsewhere than Linux.</summary>
    public static long? ReadFileLimit()
    {
        const string path = "/proc/self/limits";
        if (!File.Exists(path))
            return null;
        foreach (var line in File.ReadLines(path))
        {
            if (!line.StartsWith("Max open files", StringComparison.Ordinal))
                continue;
            var soft = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
            return long.TryParse(soft, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : null;
        }

        return null;
    }

    private void Validate()
    {
        if (MaxClientConnections < 1 || MaxRaftConnections < 1)
            throw new InvalidOperationException($"Ledger:MaxClientConnections ({MaxClientConnections}) and Ledger:MaxRaftConnections ({MaxRaftConnections}) must be positive");
        if (MaxInFlightBytes < 1 || MaxInFlightBytesPerClient < 1 || MaxInFlightBytesPerClient > MaxInFlightBytes)
            throw new InvalidOperationException($"Ledger:MaxInFlightBytes ({MaxInFlightBytes}) and Ledger:MaxInFlightBytesPerClient ({MaxInFlightBytesPerClient}) must be positive, the second at most the first");
        if (MaxListPageBytes < 1 || MaxListBytesInFlight < MaxListPageBytes)
            throw new InvalidOperationException($"Ledger:MaxListPageBytes ({MaxListPageBytes}) must be positive and Ledger:MaxListBytesInFlight ({MaxListBytesInFlight}) at least as large");
    }

    /// <summary>
    /// A process out of descriptors fails wherever it next opens one (the issue saw "Out of memory" and exit 134), so both
    /// caps together stay below the limit minus a reserve; Raft keeps at least 64 or its proportional share.
    /// </summary>
    private void FitTo(long? fileLimit)
    {
        FileLimit = fileLimit;
        if (fileLimit is not { } limit)
            return;
        var available = limit - Math.Max(ReservedFileDescriptors, limit / 4);
        if (available < 256)
            throw new InvalidOperationException($"the open-file limit is {limit}: a node needs at least 1024 (LimitNOFILE= in a systemd unit, ulimit -n in a shell); 65536 is recommended");
        if (MaxClientConnections + MaxRaftConnections <= available)
            return;
        var raft = Math.Min(MaxRaftConnections, Math.Max(64, available * MaxRaftConnections / (MaxClientConnections + MaxRaftConnections)));
        MaxRaftConnections = (int)raft;
        MaxClientConnections = (int)Math.Min(MaxClientConnections, available - raft);
        LoweredToFileLimit = true;
    }
}
