using System.Globalization;

namespace GeoLedger.Faults.Run;

/// <summary>The settings of one fault run, from the <c>run</c> command line.</summary>
public sealed record FaultRunOptions
{
    public int Seconds { get; init; } = 150;
    public long Seed { get; init; } = Random.Shared.NextInt64(1, long.MaxValue);
    public int Nodes { get; init; } = 3;
    public int Clients { get; init; } = 10;
    public int Keys { get; init; } = 6;

    /// <summary>Operations a client starts per second at most (the history must stay checkable).</summary>
    public int OpsPerClientPerSecond { get; init; } = 25;

    /// <summary>Where the history and node logs of a failing run are kept.</summary>
    public string OutputDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "geoledger-faults");

    /// <summary>
    /// Reads sent with consistency=local to a cut-off node but recorded as linearizable, and watchers that lose the first
    /// change after each resume: the linearizability checker and the watch check must both fail.
    /// </summary>
    public bool Sabotage { get; init; }

    /// <summary>Run without network namespaces (no partitions) even as root.</summary>
    public bool NoNetworkNamespaces { get; init; }

    /// <summary>Keep the history of a passing run too (a failing run's is always kept), for another checker or as evidence.</summary>
    public bool KeepHistory { get; init; }

    /// <summary>Watchers streaming the workload's keys through the faults (the watch check).</summary>
    public int Watchers { get; init; } = 2;

    /// <summary>Time the checker may take before its verdict is unknown.</summary>
    public int CheckSeconds { get; init; } = 180;

    public const string Usage = """
        usage: faults run [--seconds 150] [--seed N] [--nodes 3 (3, 5 or 7)] [--clients 10] [--keys 6] [--rate 25]
                          [--out DIR] [--check-seconds 180] [--watchers 2] [--sabotage] [--no-netns] [--keep-history]
               faults check <history.json> [--timeout-seconds N]
               faults check-watch <history.json> <watch.json>
        """;

    private static int OddNodes(int nodes) => nodes % 2 == 1 ? nodes : throw new FormatException($"--nodes must be odd (3, 5 or 7), not {nodes}: an even cluster tolerates no more failures than the odd one below it");

    /// <summary>Parses the arguments after <c>run</c>; null with <paramref name="error"/> when they are wrong.</summary>
    public static FaultRunOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        var options = new FaultRunOptions();
        error = null;
        for (var i = 0; i < args.Count; i++)
        {
            string Next() => i + 1 < args.Count ? args[++i] : throw new FormatException($"{args[i]} needs a value");
            int Int(int min, int max)
            {
                var name = args[i];
                var value = int.Parse(Next(), CultureInfo.InvariantCulture);
                return value >= min && value <= max ? value : throw new FormatException($"{name} must be {min}..{max}");
            }

            try
            {
                options = args[i] switch
                {
                    "--seconds" => options with { Seconds = Int(10, 24 * 3600) },
                    "--seed" => options with { Seed = long.Parse(Next(), CultureInfo.InvariantCulture) },
                    "--nodes" => options with { Nodes = OddNodes(Int(3, 7)) },
                    "--clients" => options with { Clients = Int(1, 64) },
                    "--keys" => options with { Keys = Int(1, 100) },
                    "--rate" => options with { OpsPerClientPerSecond = Int(1, 1000) },
                    "--out" => options with { OutputDirectory = Next() },
                    "--check-seconds" => options with { CheckSeconds = Int(1, 24 * 3600) },
                    "--watchers" => options with { Watchers = Int(1, 16) },
                    "--sabotage" => options with { Sabotage = true },
                    "--no-netns" => options with { NoNetworkNamespaces = true },
                    "--keep-history" => options with { KeepHistory = true },
                    _ => throw new FormatException($"unknown option '{args[i]}'"),
                };
            }
            catch (FormatException e)
            {
                error = e.Message;
                return null;
            }
        }

        return options;
    }
}
