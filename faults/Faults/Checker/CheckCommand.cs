using System.Globalization;
using System.Text.Json;
using GeoLedger.Faults.History;

namespace GeoLedger.Faults.Checker;

/// <summary>The <c>check &lt;history.json&gt; [--timeout-seconds N]</c> command: loads a history and prints the verdict.</summary>
public static class CheckCommand
{
    /// <summary>Exit code: every key is linearizable.</summary>
    public const int ExitLinearizable = 0;

    /// <summary>Exit code: some key is not linearizable.</summary>
    public const int ExitViolation = 1;

    /// <summary>Exit code: some key was left undecided (time budget or search size ran out).</summary>
    public const int ExitUnknown = 2;

    /// <summary>Exit code: bad arguments, or a history file that cannot be read or is malformed (EX_USAGE).</summary>
    public const int ExitUsage = 64;

    /// <summary>Time budget when <c>--timeout-seconds</c> is not given.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(120);

    private const string Usage = """
        usage: check <history.json> [--timeout-seconds N]
          Checks a fault run's history for linearizability, key by key.
          exit codes: 0 linearizable, 1 not linearizable, 2 unknown (the search ran out of time or room),
                      64 bad arguments or unreadable history
        """;

    /// <summary>Runs the command with the program's arguments, writing the report and errors to <paramref name="output"/>.</summary>
    public static int Run(string[] args, TextWriter output) => Run(args, output, output);

    /// <summary>Runs the command with the program's arguments (including the word <c>check</c>).</summary>
    /// <param name="args">For example <c>["check", "run.history.json", "--timeout-seconds", "60"]</c>.</param>
    /// <param name="output">Receives one line per key that is not linearizable or unknown, then the summary line.</param>
    /// <param name="error">Receives usage and input errors.</param>
    /// <returns>One of the <c>Exit*</c> codes.</returns>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        if (!TryParse(args, out var path, out var timeout, out var problem))
        {
            error.WriteLine(problem);
            error.WriteLine(Usage);
            return ExitUsage;
        }

        CheckResult result;
        try
        {
            result = LinearizabilityChecker.Check(HistoryJson.Load(path), timeout);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException or ArgumentException)
        {
            error.WriteLine($"cannot check {path}: {e.Message}");
            return ExitUsage;
        }

        foreach (var key in result.Keys.Where(k => k.Verdict != Verdict.Linearizable))
        {
            var detail = key.Violation?.Describe()
                ?? string.Create(CultureInfo.InvariantCulture, $"{key.UnknownReason} after {key.Elapsed.TotalMilliseconds:F0} ms");
            output.WriteLine($"key {OperationText.Quote(key.Key)}: {Text(key.Verdict)} ({key.CheckedCount} operations checked): {detail}");
        }

        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"verdict: {Text(result.Verdict)}, keys: {result.Keys.Count}, operations: {result.OperationCount}, time: {result.Elapsed.TotalMilliseconds:F0} ms"));

        return result.Verdict switch
        {
            Verdict.Linearizable => ExitLinearizable,
            Verdict.NotLinearizable => ExitViolation,
            _ => ExitUnknown,
        };
    }

    private static bool TryParse(string[] args, out string path, out TimeSpan timeout, out string problem)
    {
        path = "";
        timeout = DefaultTimeout;
        problem = "";
        if (args.Length == 0 || args[0] != "check")
        {
            problem = args.Length == 0 ? "no command given" : $"unknown command '{args[0]}'";
            return false;
        }

        string? file = null;
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i] == "--timeout-seconds")
            {
                if (i + 1 >= args.Length
                    || !int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
                {
                    problem = "--timeout-seconds needs a whole number of seconds (0 or more)";
                    return false;
                }

                timeout = TimeSpan.FromSeconds(seconds);
                i++;
            }
            else if (args[i].StartsWith('-') || file is not null)
            {
                problem = $"unexpected argument '{args[i]}'";
                return false;
            }
            else
            {
                file = args[i];
            }
        }

        if (file is null)
        {
            problem = "no history file given";
            return false;
        }

        path = file;
        return true;
    }

    private static string Text(Verdict verdict) => verdict switch
    {
        Verdict.Linearizable => "linearizable",
        Verdict.NotLinearizable => "not-linearizable",
        _ => "unknown",
    };
}
