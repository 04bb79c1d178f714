using System.Diagnostics.Metrics;

namespace GeoLedger.Telemetry;

/// <summary>
/// Feeds .NEXT's own flush timing (meter <c>DotNext.IO.WriteAheadLog</c>, <c>entries-flush-duration</c> in ms) into
/// <see cref="LedgerMetrics.LogFlushed"/> while .NEXT's write-ahead log is GeoLedger's log. A log of GeoLedger's own
/// calls LogFlushed itself, and then this bridge hears nothing and can go.
/// </summary>
internal sealed class DotNextLogFlushBridge : IDisposable
{
    private const string DotNextMeter = "DotNext.IO.WriteAheadLog";
    private const string FlushInstrument = "entries-flush-duration";

    private readonly MeterListener listener = new();

    public DotNextLogFlushBridge(LedgerMetrics metrics)
    {
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == DotNextMeter && instrument.Name == FlushInstrument)
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((_, milliseconds, _, _) => metrics.LogFlushed(TimeSpan.FromMilliseconds(milliseconds)));
        listener.Start();
    }

    public void Dispose() => listener.Dispose();
}
