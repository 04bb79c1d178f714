using GeoLedger.Logging;
using Microsoft.Extensions.Logging;

namespace GeoLedger.Tests.Operate;

/// <summary>How a node's console logging treats .NEXT's lines: throttled, and its warnings without stack traces.</summary>
public sealed class DotNextLoggingTests
{
    private const string DotNextCategory = "DotNext.Net.Cluster.Consensus.Raft.Http.RaftHttpCluster";

    [Fact]
    public void A_DotNext_warning_names_its_exceptions_on_the_line_instead_of_carrying_the_stack_trace()
    {
        var (provider, lines) = Capture(new ManualClock());
        var logger = provider.CreateLogger(DotNextCategory);

        logger.LogWarning(new EventId(75001), Thrown(), "Cluster member {Member} is unavailable", "http://127.0.0.1:9281/");

        var line = Assert.Single(lines);
        Assert.Null(line.Exception);
        Assert.Equal(
            "Cluster member http://127.0.0.1:9281/ is unavailable (TimeoutException: A task was canceled. <- TaskCanceledException <- SocketException: Connection refused)",
            line.Message);
    }

    [Fact]
    public void DotNext_errors_and_GeoLedger_warnings_keep_their_exception()
    {
        var (provider, lines) = Capture(new ManualClock());
        var error = Thrown();
        var warning = Thrown();

        provider.CreateLogger(DotNextCategory).LogError(error, "replication failed");
        provider.CreateLogger("GeoLedger.Storage").LogWarning(warning, "flush slow");

        Assert.Collection(
            lines,
            line => Assert.Same(error, line.Exception),
            line => Assert.Same(warning, line.Exception));
    }

    [Fact]
    public void DotNext_lines_beyond_the_budget_are_dropped_and_counted_when_the_next_minute_starts()
    {
        var clock = new ManualClock();
        var (provider, lines) = Capture(clock);
        var logger = provider.CreateLogger(DotNextCategory);

        for (var i = 0; i < 30; i++)
            logger.LogWarning("heartbeat {N} failed", i);
        Assert.Equal(ThrottledLoggerProvider.LinesPerMinute - 1, lines.Count);

        clock.Advance(TimeSpan.FromMinutes(1));
        logger.LogWarning("heartbeat {N} failed", 30);

        Assert.Contains("11", lines[^2].Message, StringComparison.Ordinal); // the 11 dropped of 30, reported before the next line
        Assert.Equal("heartbeat 30 failed", lines[^1].Message);
    }

    private static Exception Thrown()
    {
        try
        {
            throw new TimeoutException("A task was canceled.", new TaskCanceledException("A task was canceled.", new System.Net.Sockets.SocketException(111)));
        }
        catch (TimeoutException e)
        {
            return e; // thrown, so it has a stack trace that a line must not carry
        }
    }

    private static (ThrottledLoggerProvider Provider, List<Line> Lines) Capture(TimeProvider clock)
    {
        var lines = new List<Line>();
        return (new ThrottledLoggerProvider(new CapturingProvider(lines), clock), lines);
    }

    private sealed record Line(string Message, Exception? Exception);

    private sealed class CapturingProvider(List<Line> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new CapturingLogger(lines);

        public void Dispose()
        {
        }
    }

    private sealed class CapturingLogger(List<Line> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Add(new Line(formatter(state, exception), exception));
    }

    private sealed class ManualClock : TimeProvider
    {
        private long ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => ticks;

        public void Advance(TimeSpan by) => ticks += by.Ticks;
    }
}
