using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using GeoLedger.LocalCluster;

namespace GeoLedger.Tests.Operate;

/// <summary>One sample of a Prometheus text scrape: <c>name{label="value",...} number</c>.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>A parsed <c>/metrics</c> answer and the questions the tests ask of it.</summary>
public sealed partial class PrometheusText(IReadOnlyList<PrometheusSample> samples, string text)
{
    /// <summary>Every sample.</summary>
    public IReadOnlyList<PrometheusSample> Samples => samples;

    /// <summary>The raw text, for failure messages.</summary>
    public string Text => text;

    /// <summary>Parses the text exposition format (comments and blank lines skipped).</summary>
    public static PrometheusText Parse(string text)
    {
        var samples = new List<PrometheusSample>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
                continue;
            var match = SampleLine().Match(line);
            Assert.True(match.Success, $"not a Prometheus sample line: {line}");
            var labels = LabelPair().Matches(match.Groups["labels"].Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
            var value = match.Groups["value"].Value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                var v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            samples.Add(new PrometheusSample(match.Groups["name"].Value, labels, value));
        }

        return new PrometheusText(samples, text);
    }

    /// <summary>Reads <paramref name="node"/>'s <c>/metrics</c>: it must answer 200 with Prometheus text.</summary>
    public static async Task<PrometheusText> ScrapeAsync(HttpClient http, NodeProcess node)
    {
        using var response = await http.GetAsync(new Uri(node.PublicUrl, "/metrics"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{node.Id} /metrics answered {(int)response.StatusCode}: {text}");
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        return Parse(text);
    }

    /// <summary>The samples named <paramref name="name"/> whose labels include every pair of <paramref name="labels"/>.</summary>
    public IReadOnlyList<PrometheusSample> All(string name, params (string Key, string Value)[] labels) =>
        samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).ToList();

    /// <summary>The sum of the matching samples; fails when there is none.</summary>
    public double Sum(string name, params (string Key, string Value)[] labels)
    {
        var found = All(name, labels);
        Assert.True(found.Count > 0, $"no sample {name} with {string.Join(",", labels.Select(l => $"{l.Key}={l.Value}"))} in:\n{text}");
        return found.Sum(s => s.Value);
    }

    /// <summary>The single matching sample's value; fails unless there is exactly one.</summary>
    public double Single(string name, params (string Key, string Value)[] labels)
    {
        var found = All(name, labels);
        Assert.True(found.Count == 1, $"{found.Count} samples {name} with {string.Join(",", labels.Select(l => $"{l.Key}={l.Value}"))} in:\n{text}");
        return found[0].Value;
    }

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)( \d+)?$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex(""""([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"""")]
    private static partial Regex LabelPair();
}
