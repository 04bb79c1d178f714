namespace GeoLedger.Bench;

/// <summary>The command line of the benchmark.</summary>
internal sealed record BenchOptions
{
    /// <summary>Measured seconds of each workload.</summary>
    public double Seconds { get; init; } = 10;

    /// <summary>Warm-up seconds before each measurement (requests sent, not counted).</summary>
    public double Warmup { get; init; } = 5;

    /// <summary>Seconds of load after the leader is killed in the failover workload.</summary>
    public double FailoverSeconds { get; init; } = 6;

    /// <summary>Key counts of the growth curve (GeoLedger alone); empty skips it.</summary>
    public IReadOnlyList<int> Growth { get; init; } = [10_000, 100_000];

    /// <summary>Workload ids to run (empty: all).</summary>
    public IReadOnlySet<string> Only { get; init; } = new HashSet<string>();

    /// <summary>Where the JSON results go.</summary>
    public string? Out { get; init; }

    /// <summary>Longest wait, before each measurement, for other processes to leave the cores alone.</summary>
    public double QuietWait { get; init; } = 30;

    /// <summary>How many more rounds (in flipped order) a workload gets while other processes disturb it.</summary>
    public int Retries { get; init; } = 1;

    /// <summary>Keys written for the catch-up section (GeoLedger alone); 0 skips it.</summary>
    public int CatchUpKeys { get; init; }

    /// <summary>Clean catch-ups of the catch-up section (one more follows, with a SIGKILL in its middle).</summary>
    public int CatchUpRuns { get; init; } = 5;

    /// <summary>Regions of the geo section, one member each (Infra/Plan/RegionRtt.cs).</summary>
    public IReadOnlyList<string> GeoRegions { get; init; } = ["eastus", "westus", "centralus"];

    /// <summary>Requests per row of the geo section (one sequential client).</summary>
    public int GeoOps { get; init; } = 200;

    /// <summary>Keys written before the read and mixed workloads.</summary>
    public int Preload { get; init; } = 2_000;

    public const string Usage = """
        usage: bench/run.sh [--seconds 10] [--warmup 5] [--failover-seconds 6] [--growth 10000,100000] [--catchup-keys 0] [--catchup-runs 5]
                            [--only put-1,failover] [--quiet-wait 30] [--retries 1] [--geo-regions eastus,westus,centralus] [--geo-ops 200] [--out file.json]
          --seconds           measured seconds per workload and system (default 10)
          --warmup            warm-up seconds before each measurement (default 5)
          --failover-seconds  seconds of load after the leader is killed (default 6)
          --growth            key counts of the GeoLedger growth curve, cumulative (default 10000,100000;
                              add 1000000 for the 1M step, about 5 more minutes; 'none' skips it)
          --catchup-keys      keys written while a follower is down, then its catch-up is timed (try 1000000, about
                              10 minutes; default 0 skips it); snapshots meanwhile are timed against the writes
          --catchup-runs      clean catch-ups of an empty follower (default 5); one more has a SIGKILL in its middle
          --only              run only these workloads (ids: put-1 put-16 put-64 put4k-16 lin-get-1 lin-get-16
                              local-get-16 mixed-32 failover floor growth catchup geo)
          --geo-regions       regions of the geo section, one member each; links delayed by half their round trip
                              from Infra/Plan/RegionRtt.cs (default eastus,westus,centralus)
          --geo-ops           requests per row of the geo section, one sequential client (default 200)
          --quiet-wait        before each measurement, wait up to this many seconds for other processes to use
                              less than 0.2 cores (default 30; 0: don't wait); their use is reported either way
          --retries           measure both systems again in the other order, up to this many times, when other
                              processes used 0.2 cores or more; the least disturbed of each is kept (default 1)
          --out               JSON results file (default bench/results/<timestamp>.json)
        """;

    /// <summary>Parses the arguments; null (after printing the usage) when they are wrong or ask for help.</summary>
    public static BenchOptions? Parse(string[] args)
    {
        if (args is ["--help"] or ["-h"])
        {
            Console.WriteLine(Usage);
            return null;
        }

        var options = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--seconds" when double.TryParse(value, out var s) && s is > 0 and <= 600:
                    options = options with { Seconds = s };
                    i++;
                    break;
                case "--warmup" when double.TryParse(value, out var w) && w is >= 0 and <= 60:
                    options = options with { Warmup = w };
                    i++;
                    break;
                case "--failover-seconds" when double.TryParse(value, out var f) && f is >= 2 and <= 60:
                    options = options with { FailoverSeconds = f };
                    i++;
                    break;
                case "--quiet-wait" when double.TryParse(value, out var q) && q is >= 0 and <= 3600:
                    options = options with { QuietWait = q };
                    i++;
                    break;
                case "--retries" when int.TryParse(value, out var n) && n is >= 0 and <= 10:
                    options = options with { Retries = n };
                    i++;
                    break;
                case "--growth" when value == "none":
                    options = options with { Growth = [] };
                    i++;
                    break;
                case "--growth" when value is not null && ParseCounts(value) is { } counts:
                    options = options with { Growth = counts };
                    i++;
                    break;
                case "--catchup-keys" when int.TryParse(value, out var k) && k is >= 0 and <= 10_000_000:
                    options = options with { CatchUpKeys = k };
                    i++;
                    break;
                case "--catchup-runs" when int.TryParse(value, out var cr) && cr is >= 1 and <= 20:
                    options = options with { CatchUpRuns = cr };
                    i++;
                    break;
                case "--only" when value is not null:
                    options = options with { Only = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet() };
                    i++;
                    break;
                case "--geo-regions" when value is not null:
                    options = options with { GeoRegions = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) };
                    i++;
                    break;
                case "--geo-ops" when int.TryParse(value, out var go) && go is >= 10 and <= 100_000:
                    options = options with { GeoOps = go };
                    i++;
                    break;
                case "--out" when value is not null:
                    options = options with { Out = value };
                    i++;
                    break;
                default:
                    Console.Error.WriteLine($"bench: unknown or invalid argument '{args[i]}'\n{Usage}");
                    return null;
            }
        }

        return options;
    }

    /// <summary>True when workload <paramref name="id"/> should run.</summary>
    public bool Runs(string id) => Only.Count == 0 || Only.Contains(id);

    private static List<int>? ParseCounts(string text)
    {
        var counts = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part.Replace("_", ""), out var n) || n < 1 || n > 5_000_000 || (counts.Count > 0 && n <= counts[^1]))
                return null;
            counts.Add(n);
        }

        return counts.Count > 0 ? counts : null;
    }
}
