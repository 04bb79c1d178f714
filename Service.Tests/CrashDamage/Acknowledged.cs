using System.Net;
using GeoLedger.LocalCluster;
using GeoLedger.Tests.MultiNode;

namespace GeoLedger.Tests.CrashDamage;

/// <summary>Every value the cluster acknowledged for each key, with its revision, oldest first.</summary>
public sealed class Acknowledged
{
    private readonly Dictionary<string, List<(string Value, long Revision)>> history = new(StringComparer.Ordinal);

    public int Count => history.Count;

    /// <summary>
    /// Writes through <paramref name="node"/> (the leader) and records the acknowledged value. A leader
    /// change on a loaded machine is ridden out: a 307 is followed, a 503 retried, and after a 504 a
    /// linearizable read decides (our value there: committed at that revision; else the write is sent
    /// again), all within 60 s.
    /// </summary>
    public async Task PutAsync(HttpClient http, NodeProcess node, string key, string value)
    {
        var target = node.PublicUrl;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        var answers = new List<int>();
        while (DateTime.UtcNow < deadline)
        {
            using var response = await KvClient.PutAsync(http, target, key, value);
            answers.Add((int)response.StatusCode);
            switch (response.StatusCode)
            {
                case HttpStatusCode.OK:
                    Record(key, value, long.Parse(response.Headers.ETag!.Tag.Trim('"'), System.Globalization.CultureInfo.InvariantCulture));
                    return;
                case HttpStatusCode.TemporaryRedirect when response.Headers.Location is { } location:
                    target = new Uri(location.GetLeftPart(UriPartial.Authority));
                    continue;
                case HttpStatusCode.GatewayTimeout:
                    var read = await KvClient.GetAsync(http, target, key);
                    if (read.Status == HttpStatusCode.OK && read.Value == value)
                    {
                        Record(key, value, read.Revision);
                        return;
                    }

                    break;
                case HttpStatusCode.ServiceUnavailable:
                    break;
                default:
                    Assert.Fail($"PUT {key} answered {(int)response.StatusCode}");
                    break;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"PUT {key} was not acknowledged within 60 s: answers {string.Join(", ", answers)}");
    }

    private void Record(string key, string value, long revision)
    {
        if (!history.TryGetValue(key, out var values))
            history[key] = values = [];
        values.Add((value, revision));
    }

    /// <summary>
    /// Reads every key locally from <paramref name="node"/>: absent, or one of its acknowledged values with that
    /// value's revision, is fine; anything else fails. False when the node does not answer (not listening, or gone).
    /// </summary>
    public async Task<bool> AssertNothingWrongAsync(HttpClient http, NodeProcess node, string replay)
    {
        foreach (var (key, values) in history)
        {
            (HttpStatusCode Status, string? Value, long Revision) read;
            try
            {
                read = await KvClient.GetAsync(http, node.PublicUrl, key, "local");
            }
            catch (HttpRequestException)
            {
                return false;
            }

            if (read.Status == HttpStatusCode.NotFound)
                continue;
            Assert.True(read.Status == HttpStatusCode.OK, $"{replay}: {node.Id} answered {(int)read.Status} to a local read of {key}");
            Assert.True(values.Contains((read.Value!, read.Revision)),
                $"{replay}: {node.Id} served {key} = {read.Value} at revision {read.Revision}, which was never acknowledged (acknowledged: {string.Join(", ", values.Select(v => $"{v.Value}@{v.Revision}"))})");
        }

        return true;
    }

    /// <summary>Every key reads back locally as its newest acknowledged value and revision.</summary>
    public async Task AssertNewestAsync(HttpClient http, NodeProcess node, string replay)
    {
        foreach (var (key, values) in history)
        {
            var read = await KvClient.GetAsync(http, node.PublicUrl, key, "local");
            Assert.True((read.Status, read.Value, read.Revision) == (HttpStatusCode.OK, values[^1].Value, values[^1].Revision),
                $"{replay}: {node.Id} has {key} = {(int)read.Status} {read.Value}@{read.Revision}, acknowledged {values[^1].Value}@{values[^1].Revision}");
        }
    }

    /// <summary>
    /// For keys written once each: the keys served are exactly those acknowledged up to some revision, each with
    /// its acknowledged value. Returns how many are served.
    /// </summary>
    public async Task<int> AssertPrefixAsync(HttpClient http, NodeProcess node, string replay)
    {
        var firstMissing = long.MaxValue;
        var lastPresent = 0L;
        var present = 0;
        foreach (var (key, values) in history.OrderBy(p => p.Value[^1].Revision))
        {
            var read = await KvClient.GetAsync(http, node.PublicUrl, key);
            if (read.Status == HttpStatusCode.NotFound)
            {
                firstMissing = Math.Min(firstMissing, values[^1].Revision);
                continue;
            }

            Assert.True((read.Status, read.Value, read.Revision) == (HttpStatusCode.OK, values[^1].Value, values[^1].Revision),
                $"{replay}: {node.Id} has {key} = {(int)read.Status} {read.Value}@{read.Revision}, acknowledged {values[^1].Value}@{values[^1].Revision}");
            lastPresent = values[^1].Revision;
            present++;
        }

        Assert.True(lastPresent < firstMissing, $"{replay}: {node.Id} lost the key acknowledged at revision {firstMissing} but serves one acknowledged later, at {lastPresent}: not a prefix");
        return present;
    }
}
