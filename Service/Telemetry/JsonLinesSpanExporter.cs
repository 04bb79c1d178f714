using System.Diagnostics;
using System.Text.Json;
using OpenTelemetry;

namespace GeoLedger.Telemetry;

/// <summary>
/// Writes finished spans to a file, one JSON object per line (<c>Telemetry:TraceFile</c>): tracing without a
/// collector, for a look at one node or for tests.
/// </summary>
internal sealed class JsonLinesSpanExporter : BaseExporter<Activity>
{
    private readonly FileStream file;
    private readonly Utf8JsonWriter writer;
    private readonly string node;

    public JsonLinesSpanExporter(string path, string node)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        writer = new Utf8JsonWriter(file);
        this.node = node;
    }

    public override ExportResult Export(in Batch<Activity> batch)
    {
        foreach (var span in batch)
        {
            writer.Reset(file);
            writer.WriteStartObject();
            writer.WriteString("node", node);
            writer.WriteString("traceId", span.TraceId.ToHexString());
            writer.WriteString("spanId", span.SpanId.ToHexString());
            writer.WriteString("parentSpanId", span.ParentSpanId == default ? "" : span.ParentSpanId.ToHexString());
            writer.WriteString("name", span.DisplayName);
            writer.WriteString("source", span.Source.Name);
            writer.WriteString("kind", span.Kind.ToString());
            writer.WriteString("start", span.StartTimeUtc);
            writer.WriteNumber("durationMs", span.Duration.TotalMilliseconds);
            writer.WriteString("status", span.Status.ToString());
            writer.WriteStartObject("attributes");
            foreach (var (key, value) in span.TagObjects)
                writer.WriteString(key, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture));
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.Flush();
            file.WriteByte((byte)'\n');
        }

        file.Flush();
        return ExportResult.Success;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            writer.Dispose();
            file.Dispose();
        }

        base.Dispose(disposing);
    }
}
