using System.Diagnostics;

namespace GeoLedger.Bench;

/// <summary>
/// CPU seconds used between two readings by the server processes, by this load generator, by
/// kernel threads (disk flushes, journaling) and by every other process on the machine, read from
/// /proc so that other work on a shared machine shows up next to the numbers it disturbs.
/// </summary>
internal sealed class CpuMeter
{
    // /proc/<pid>/stat counts in USER_HZ, which Linux fixes at 100 for user space.
    private const double TicksPerSecond = 100;
    private readonly HashSet<int> servers;
    private readonly Dictionary<int, ProcessCpu> atStart;
    private readonly long startedAt;

    private CpuMeter(IReadOnlyList<int> servers)
    {
        this.servers = [.. servers];
        atStart = ReadAll();
        startedAt = Stopwatch.GetTimestamp();
    }

    /// <summary>Starts measuring, with <paramref name="servers"/> as the servers under test.</summary>
    public static CpuMeter Start(IReadOnlyList<int> servers) => new(servers);

    /// <summary>Cores used on average since the start, by kind of process.</summary>
    public CpuUse Stop()
    {
        var wall = Stopwatch.GetElapsedTime(startedAt).TotalSeconds;
        var self = Environment.ProcessId;
        double server = 0, client = 0, kernel = 0, other = 0;
        foreach (var (pid, now) in ReadAll())
        {
            // A process that started after the first reading (or a reused pid) counts from zero.
            var before = atStart.TryGetValue(pid, out var b) && b.StartTicks == now.StartTicks ? b.Seconds : 0;
            var used = now.Seconds - before;
            if (pid == self)
                client += used;
            else if (servers.Contains(pid))
                server += used;
            else if (now.KernelThread)
                kernel += used;
            else
                other += used;
        }

        return new CpuUse(Math.Round(server / wall, 2), Math.Round(client / wall, 2), Math.Round(other / wall, 2), Math.Round(kernel / wall, 2), Environment.ProcessorCount);
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

    private static Dictionary<int, ProcessCpu> ReadAll()
    {
        var all = new Dictionary<int, ProcessCpu>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var pid) && Read(pid) is { } cpu)
                all[pid] = cpu;
        }

        return all;
    }

    private static ProcessCpu? Read(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // fields after "(comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime ... starttime (22nd)
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            const uint kernelThreadFlag = 0x00200000; // PF_KTHREAD
            return new ProcessCpu(
                (long.Parse(fields[11]) + long.Parse(fields[12])) / TicksPerSecond,
                long.Parse(fields[19]),
                (uint.Parse(fields[6]) & kernelThreadFlag) != 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or OverflowException)
        {
            return null;
        }
    }

    private readonly record struct ProcessCpu(double Seconds, long StartTicks, bool KernelThread);
}

/// <summary>
/// Average cores busy during a measurement, out of <paramref name="Cores"/>: the servers, this load
/// generator, other user processes, and kernel threads (disk flushing and journaling on behalf of all).
/// </summary>
internal sealed record CpuUse(double ServerCores, double ClientCores, double OtherCores, double KernelCores, int Cores);
