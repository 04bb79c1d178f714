using System.Collections.Concurrent;

namespace GeoLedger.Logging;

/// <summary>
/// Wraps a logger provider so that .NEXT's categories write at most <see cref="LinesPerMinute"/> lines
/// a minute below Error: while a member is down, .NEXT reports every failed heartbeat (about 20 a
/// second). The first suppressed minute ends with one line saying how many lines were dropped.
/// Below Error, a .NEXT line names its exception by type and message (<see cref="Describe"/>) instead of
/// carrying the exception: "member unavailable" while the others start came with 1.5 KB of HttpClient
/// stack trace each. GeoLedger's own lines and every error pass untouched.
/// </summary>
internal sealed class ThrottledLoggerProvider(ILoggerProvider inner, TimeProvider clock) : ILoggerProvider
{
    /// <summary>Budget of .NEXT lines per minute, shared by all its categories.</summary>
    public const int LinesPerMinute = 20;

    private const string ThrottledPrefix = "DotNext";
    private readonly ConcurrentDictionary<string, ILogger> loggers = new(StringComparer.Ordinal);
    private readonly Lock gate = new();
    private long windowStart = clock.GetTimestamp();
    private int written;
    private int suppressed;

    public ILogger CreateLogger(string categoryName) => loggers.GetOrAdd(categoryName, name =>
    {
        var logger = inner.CreateLogger(name);
        return name.StartsWith(ThrottledPrefix, StringComparison.Ordinal) ? new ThrottledLogger(logger, this) : logger;
    });

    public void Dispose() => inner.Dispose();

    /// <summary>True when a line may be written now; may report the previous window's suppressed count.</summary>
    private bool TryTake(out int suppressedBefore)
    {
        suppressedBefore = 0;
        lock (gate)
        {
            if (clock.GetElapsedTime(windowStart) >= TimeSpan.FromMinutes(1))
            {
                suppressedBefore = suppressed;
                windowStart = clock.GetTimestamp();
                written = 0;
                suppressed = 0;
            }

            // One slot stays free for the line that reports what was suppressed.
            if (written < LinesPerMinute - 1)
            {
                written++;
                return true;
            }

            suppressed++;
            return false;
        }
    }

    private sealed class ThrottledLogger(ILogger inner, ThrottledLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!inner.IsEnabled(logLevel))
                return;
            if (logLevel >= LogLevel.Error)
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
                return;
            }

            if (!owner.TryTake(out var dropped))
                return;
            if (dropped > 0)
                LogMessages.DotNextLinesSuppressed(inner, dropped, LinesPerMinute);
            if (exception is null)
                inner.Log(logLevel, eventId, state, null, formatter);
            else
                inner.Log(logLevel, eventId, state, null, (s, e) => $"{formatter(s, e)} ({Describe(exception)})");
        }
    }

    /// <summary>An exception and its inner ones as "Type: message", outermost first, a repeated message said once.</summary>
    private static string Describe(Exception exception)
    {
        var parts = new List<string>();
        string? previous = null;
        for (var e = exception; e is not null; e = e.InnerException)
        {
            var message = e.Message;
            parts.Add(message == previous ? e.GetType().Name : $"{e.GetType().Name}: {message}");
            previous = message;
        }

        return string.Join(" <- ", parts);
    }
}
