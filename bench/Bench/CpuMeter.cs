using System.Diagnostics;

namespace GeoLedger.Bench;

/// <summary>CPU seconds used by the server processes and by this load generator between two readings.</summary>
internal sealed class CpuMeter
{
    // /proc/<pid>/stat counts in USER_HZ, which Linux fixes at 100 for user space.
    private const double TicksPerSecond = 100;
    private readonly IReadOnlyList<int> pids;
    private readonly double serversAtStart;
    private readonly double selfAtStart;
    private readonly double machineAtStart;
    private readonly long startedAt;

    private CpuMeter(IReadOnlyList<int> pids)
    {
        this.pids = pids;
        serversAtStart = pids.Sum(ProcessSeconds);
        selfAtStart = SelfSeconds();
        machineAtStart = MachineBusySeconds();
        startedAt = Stopwatch.GetTimestamp();
    }

    /// <summary>Starts measuring the servers <paramref name="pids"/> and this process.</summary>
    public static CpuMeter Start(IReadOnlyList<int> pids) => new(pids);

    /// <summary>Cores used on average since the start: servers, and the load generator.</summary>
    public CpuUse Stop()
    {
        var wall = Stopwatch.GetElapsedTime(startedAt).TotalSeconds;
        var servers = (pids.Sum(ProcessSeconds) - serversAtStart) / wall;
        var client = (SelfSeconds() - selfAtStart) / wall;
        var machine = (MachineBusySeconds() - machineAtStart) / wall;
        return new CpuUse(Math.Round(servers, 2), Math.Round(client, 2), Math.Round(Math.Max(0, machine - servers - client), 2), Environment.ProcessorCount);
    }

    /// <summary>
    /// Waits (at most <paramref name="limit"/>) until processes other than this one and
    /// <paramref name="pids"/> use less than <paramref name="threshold"/> cores over a second, since
    /// other work on the machine would be measured too; returns the last reading of that use.
    /// </summary>
    public static async Task<double> WaitForQuietAsync(IReadOnlyList<int> pids, double threshold, TimeSpan limit, Action<string> progress, CancellationToken token)
    {
        var waited = Stopwatch.StartNew();
        var told = false;
        while (true)
        {
            var meter = Start(pids);
            await Task.Delay(1000, token).ConfigureAwait(false);
            var other = meter.Stop().OtherCores;
            if (other < threshold || waited.Elapsed >= limit)
            {
                if (told || other >= threshold)
                    progress($"other processes use {other:0.00} cores; {(other < threshold ? "quiet now" : "going on anyway")} after {waited.Elapsed.TotalSeconds:0} s");
                return other;
            }

            if (!told)
                progress($"other processes on this machine use {other:0.00} cores: waiting up to {limit.TotalSeconds:0} s for quiet");
            told = true;
        }
    }

    /// <summary>CPU seconds the whole machine was busy (all but idle and iowait) since boot.</summary>
    public static double MachineBusySeconds()
    {
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // cpu user nice system idle iowait irq softirq steal ...
        long busy = 0;
        foreach (var i in new[] { 1, 2, 3, 6, 7, 8 })
            busy += long.Parse(fields[i]);
        return busy / TicksPerSecond;
    }

    /// <summary>User plus system CPU seconds of a process; 0 when it is gone.</summary>
    public static double ProcessSeconds(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11]) + long.Parse(fields[12])) / TicksPerSecond;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 0;
        }
    }

    /// <summary>Resident memory of a process in bytes (VmRSS); 0 when it is gone.</summary>
    public static long ResidentBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0]) * 1024;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
        }

        return 0;
    }

    private static double SelfSeconds()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.TotalSeconds;
    }
}

/// <summary>Average cores busy during a measurement, out of <paramref name="Cores"/>: the servers, this load generator, and every other process on the machine.</summary>
internal sealed record CpuUse(double ServerCores, double ClientCores, double OtherCores, int Cores);
