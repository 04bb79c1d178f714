using System.Text.Json;
using GeoLedger.Faults.History;

namespace GeoLedger.Faults.Watch;

/// <summary>The <c>check-watch &lt;history.json&gt; &lt;watch.json&gt;</c> command: re-checks a kept run's watch record against its history.</summary>
public static class WatchCheckCommand
{
    private const string Usage = """
        usage: check-watch <history.json> <watch.json>
          Checks a fault run's watch deliveries against its history (the final-state comparison needs the run itself).
          exit codes: 0 pass, 1 problems found, 64 bad arguments or unreadable files
        """;

    /// <summary>Runs the command with the program's arguments (including the word <c>check-watch</c>); returns the exit code.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length != 3 || args[0] != "check-watch")
        {
            error.WriteLine(Usage);
            return 64;
        }

        WatchCheckResult result;
        try
        {
            result = WatchChecker.Check(HistoryJson.Load(args[1]).Operations, WatchRecord.Load(args[2]));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            error.WriteLine($"cannot check {args[1]} with {args[2]}: {e.Message}");
            return 64;
        }

        foreach (var problem in result.Problems)
            output.WriteLine(problem);
        output.WriteLine($"watch: {result.Summary}");
        return result.Passed ? 0 : 1;
    }
}
