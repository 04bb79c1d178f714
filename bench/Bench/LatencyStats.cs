using System.Diagnostics;

namespace GeoLedger.Bench;

/// <summary>Throughput and exact latency percentiles of the successful requests that ended in a window.</summary>
internal sealed record LatencyStats(long Ok, long Failed, double Seconds, double OpsPerSecond, double P50Ms, double P90Ms, double P99Ms, double P999Ms, double MaxMs, double MeanMs)
{
    /// <summary>Requests whose answer arrived within [<paramref name="from"/>, <paramref name="to"/>) (timestamps).</summary>
    public static LatencyStats Of(IEnumerable<List<Sample>> samples, long from, long to)
    {
        var latencies = new List<long>();
        long failed = 0;
        foreach (var list in samples)
        {
            foreach (var s in list)
            {
                if (s.End < from || s.End >= to)
                    continue;
                if (s.Ok)
                    latencies.Add(s.End - s.Start);
                else
                    failed++;
            }
        }

        latencies.Sort();
        var seconds = (double)(to - from) / Stopwatch.Frequency;
        return new LatencyStats(
            latencies.Count,
            failed,
            Math.Round(seconds, 3),
            Math.Round(latencies.Count / seconds, 1),
            Percentile(latencies, 0.50),
            Percentile(latencies, 0.90),
            Percentile(latencies, 0.99),
            Percentile(latencies, 0.999),
            latencies.Count == 0 ? double.NaN : Ms(latencies[^1]),
            latencies.Count == 0 ? double.NaN : Math.Round(latencies.Average() * 1000.0 / Stopwatch.Frequency, 3));
    }

    /// <summary>Nearest-rank percentile of sorted ticks, in milliseconds.</summary>
    private static double Percentile(List<long> sorted, double p)
    {
        if (sorted.Count == 0)
            return double.NaN;
        var rank = (int)Math.Ceiling(p * sorted.Count);
        return Ms(sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)]);
    }

    private static double Ms(long ticks) => Math.Round(ticks * 1000.0 / Stopwatch.Frequency, 3);
}
