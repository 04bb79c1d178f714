using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Console;

namespace GeoLedger.Logging;

/// <summary>The node's console logging: one line per entry, timestamped, .NEXT throttled.</summary>
public static class LoggingSetup
{
    /// <summary>Single-line console output with .NEXT's chatter limited to 20 lines a minute.</summary>
    public static ILoggingBuilder AddLedgerConsole(this ILoggingBuilder logging)
    {
        logging.ClearProviders();
        logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        logging.Services.RemoveAll<ILoggerProvider>();
        logging.Services.AddSingleton<ILoggerProvider>(sp => new ThrottledLoggerProvider(
            ActivatorUtilities.CreateInstance<ConsoleLoggerProvider>(sp),
            TimeProvider.System));
        return logging;
    }
}
