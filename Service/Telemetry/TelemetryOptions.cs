namespace GeoLedger.Telemetry;

/// <summary>The <c>Telemetry:*</c> settings.</summary>
public sealed class TelemetryOptions
{
    /// <summary>Collect metrics and serve them at <c>/metrics</c> (and over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set). On by default.</summary>
    public bool Metrics { get; set; } = true;

    /// <summary>
    /// Record traces. By default on exactly when there is somewhere to send them (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
    /// or <see cref="TraceFile"/>); false turns them off even then. Off, no span is created.
    /// </summary>
    public bool? Tracing { get; set; }

    /// <summary>A file to append finished spans to, one JSON object per line.</summary>
    public string? TraceFile { get; set; }
}
