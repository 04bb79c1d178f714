using GeoLedger.Faults.Run;

namespace GeoLedger.Faults.Tests;

/// <summary>A fault run keeps its history when it fails, and when asked with --keep-history even when it passes.</summary>
public sealed class RunFilesTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("faults-files-").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private RunFiles Files()
    {
        var files = new RunFiles(Path.Combine(directory, "run-1-history.json"), Path.Combine(directory, "run-1-nodes.log"));
        File.WriteAllText(files.HistoryPath, "{}");
        File.WriteAllText(files.NodeLogPath, "log");
        return files;
    }

    [Fact]
    public void Keep_history_is_an_option_of_run()
    {
        var options = FaultRunOptions.Parse(["--seconds", "30", "--keep-history"], out var error);

        Assert.True(options is not null, error);
        Assert.True(options.KeepHistory);
        Assert.False(FaultRunOptions.Parse([], out _)!.KeepHistory);
        Assert.Contains("--keep-history", FaultRunOptions.Usage, StringComparison.Ordinal);
    }

    [Fact]
    public void A_passing_run_asked_to_keep_its_history_keeps_it_and_says_where()
    {
        var files = Files();

        var said = files.Finish(passed: true, keepHistory: true);

        Assert.True(File.Exists(files.HistoryPath));
        Assert.False(File.Exists(files.NodeLogPath));
        Assert.Contains(files.HistoryPath, said, StringComparison.Ordinal);
    }

    [Fact]
    public void A_passing_run_deletes_both_by_default()
    {
        var files = Files();

        Assert.Null(files.Finish(passed: true, keepHistory: false));

        Assert.False(File.Exists(files.HistoryPath));
        Assert.False(File.Exists(files.NodeLogPath));
    }

    [Fact]
    public void The_watch_record_goes_and_stays_with_the_history()
    {
        var files = Files() with { WatchPath = Path.Combine(directory, "run-1-watch.json") };
        File.WriteAllText(files.WatchPath!, "{}");

        var said = files.Finish(passed: false, keepHistory: false);

        Assert.True(File.Exists(files.WatchPath));
        Assert.Contains("check-watch", said, StringComparison.Ordinal);
        Assert.Null(files.Finish(passed: true, keepHistory: false));
        Assert.False(File.Exists(files.WatchPath));
    }

    [Fact]
    public void The_state_record_goes_and_stays_with_the_history()
    {
        var files = Files() with { StatePath = Path.Combine(directory, "run-1-state.json") };
        File.WriteAllText(files.StatePath!, "{}");

        var said = files.Finish(passed: false, keepHistory: false);

        Assert.True(File.Exists(files.StatePath));
        Assert.Contains(files.StatePath!, said, StringComparison.Ordinal);
        Assert.Null(files.Finish(passed: true, keepHistory: false));
        Assert.False(File.Exists(files.StatePath));
    }

    [Fact]
    public void Watchers_are_an_option_of_run()
    {
        Assert.Equal(3, FaultRunOptions.Parse(["--watchers", "3"], out _)!.Watchers);
        Assert.Equal(2, FaultRunOptions.Parse([], out _)!.Watchers);
        Assert.Null(FaultRunOptions.Parse(["--watchers", "0"], out var error));
        Assert.Contains("--watchers", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failing_run_keeps_both()
    {
        var files = Files();

        var said = files.Finish(passed: false, keepHistory: false);

        Assert.True(File.Exists(files.HistoryPath));
        Assert.True(File.Exists(files.NodeLogPath));
        Assert.Contains("kept for replay", said, StringComparison.Ordinal);
    }
}
