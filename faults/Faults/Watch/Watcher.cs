using System.Globalization;
using System.Net;
using System.Text.Json;
using GeoLedger.Faults.Run;
using GeoLedger.LocalCluster;

namespace GeoLedger.Faults.Watch;

/// <summary>
/// One watch client of a fault run: streams <c>GET /v1/watch?prefix=p&amp;fromRevision=1</c> from one node and, whenever
/// the stream breaks (the node died, stalled, sent <c>gone</c>, answered 410 or 503), resumes on another node with
/// <c>Last-Event-ID</c>, as an <c>EventSource</c> would. It records every change and every connection; it never skips
/// ahead, so a node that no longer has the changes it needs (410) is left for another, and when every node answers
/// 410 in a row it gives up and says so. A sabotaging watcher drops the first change of every resumed stream, as a
/// store that skipped the event after <c>Last-Event-ID</c> would: the watch check must catch it.
/// </summary>
public sealed class Watcher(int id, IReadOnlyList<(string Id, Uri Url)> nodes, string prefix, Random random, bool sabotage = false)
{
    /// <summary>No event (progress events come every second in a run) for this long: the node is stuck; move on.</summary>
    public static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(5);
    private readonly HttpClient http = NodeHttp.Create(Timeout.InfiniteTimeSpan, followRedirects: false, TimeSpan.FromSeconds(1));
    private readonly Lock gate = new();
    private readonly List<WatchDelivery> deliveries = [];
    private readonly List<WatchConnection> connections = [];
    private readonly List<string> anomalies = [];
    private TaskCompletionSource progressed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationTokenSource? current;
    private long reached;
    private string? gaveUp;

    /// <summary>The last event id received (0 before the first).</summary>
    public long Reached => Interlocked.Read(ref reached);

    /// <summary>Streams until <paramref name="token"/> is cancelled, or until every node in a row answered 410.</summary>
    public async Task RunAsync(CancellationToken token)
    {
        var node = random.Next(nodes.Count);
        var goneAt = new HashSet<int>();
        while (!token.IsCancellationRequested)
        {
            var result = await StreamAsync(node, token).ConfigureAwait(false);
            if (result == StreamResult.Gone)
            {
                goneAt.Add(node);
                if (goneAt.Count == nodes.Count)
                {
                    lock (gate)
                        gaveUp = $"every node answered 410 (or sent gone) for the changes after revision {Reached}: they were past every node's retention";
                    return;
                }
            }
            else if (result == StreamResult.Streamed)
            {
                goneAt.Clear();
            }

            // Another node, as a client of a dead or cut-off node must; a short pause so a refused connection does not spin.
            node = nodes.Count == 1 ? 0 : (node + 1 + random.Next(nodes.Count - 1)) % nodes.Count;
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Waits until the watcher has received everything through <paramref name="revision"/>; false at the timeout.</summary>
    public async Task<bool> WaitReachedAsync(long revision, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Reached < revision)
        {
            Task signal;
            lock (gate)
            {
                if (gaveUp is not null)
                    return false;
                signal = progressed.Task;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
                return false;
            if (Reached >= revision)
                return true;
            await Task.WhenAny(signal, Task.Delay(left)).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>Ends the current stream so the watcher resumes on another node (its node lags behind the cluster).</summary>
    public void MoveOn()
    {
        lock (gate)
            current?.Cancel();
    }

    /// <summary>What the watcher saw, for the watch file and the checker.</summary>
    public WatcherRecord Record()
    {
        lock (gate)
        {
            return new WatcherRecord
            {
                Id = id, Reached = Reached, GaveUp = gaveUp, Anomalies = anomalies.ToList(),
                Deliveries = deliveries.ToList(), Connections = connections.ToList(),
            };
        }
    }

    private async Task<StreamResult> StreamAsync(int node, CancellationToken token)
    {
        var (nodeId, url) = nodes[node];
        var number = connections.Count + 1;
        var resumeAfter = Reached;
        var query = $"/v1/watch?prefix={Uri.EscapeDataString(prefix)}" + (resumeAfter == 0 ? "&fromRevision=1" : "");
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(url, query));
        if (resumeAfter > 0)
            request.Headers.TryAddWithoutValidation("Last-Event-ID", resumeAfter.ToString(CultureInfo.InvariantCulture));
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(token);
        lock (gate)
            current = connection;
        var opened = HistoryRecorder.NowNs();
        var status = 0;
        void Ended(string why, long? oldest = null)
        {
            lock (gate)
                connections.Add(new WatchConnection { Watcher = id, Number = number, Node = nodeId, OpenedNs = opened, From = resumeAfter + 1, Status = status, Ended = why, OldestRevision = oldest });
        }

        var streamed = false;
        try
        {
            connection.CancelAfter(AnswerTimeout);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, connection.Token).ConfigureAwait(false);
            status = (int)response.StatusCode;
            if (response.StatusCode == HttpStatusCode.Gone)
            {
                var oldest = OldestRevision(await response.Content.ReadAsStringAsync(connection.Token).ConfigureAwait(false));
                Ended($"410: changes after {resumeAfter} no longer kept here", oldest);
                return StreamResult.Gone;
            }

            if (response.StatusCode != HttpStatusCode.OK)
            {
                Ended($"answered {status}");
                return StreamResult.Refused;
            }

            streamed = true;
            await using var body = await response.Content.ReadAsStreamAsync(connection.Token).ConfigureAwait(false);
            using var reader = new StreamReader(body);
            string? eventId = null, eventName = null, data = null;
            var dropped = false;
            while (true)
            {
                connection.CancelAfter(StallTimeout); // re-armed on every line: a silent node is a stuck one
                var line = await reader.ReadLineAsync(connection.Token).ConfigureAwait(false);
                if (line is null)
                {
                    Ended("the stream ended");
                    return StreamResult.Streamed;
                }

                if (line.Length > 0)
                {
                    if (line.StartsWith(':'))
                        continue;
                    var colon = line.IndexOf(':');
                    var field = colon < 0 ? line : line[..colon];
                    var value = colon < 0 ? "" : line[(colon + 1)..].TrimStart(' ');
                    switch (field)
                    {
                        case "id": eventId = value; break;
                        case "event": eventName = value; break;
                        case "data": data = data is null ? value : data + "\n" + value; break;
                    }

                    continue;
                }

                if (eventName == "gone")
                {
                    Ended("gone event: the node dropped changes this watch still needed", OldestRevision(data));
                    return StreamResult.Gone;
                }

                if (sabotage && number > 1 && eventName == "change" && !dropped)
                    dropped = true; // the sabotage: this change is lost
                else
                    Dispatch(number, nodeId, eventName, eventId, data);
                eventId = eventName = data = null;
            }
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            Ended(streamed ? "stalled or moved on: no event in time, or the node lags behind the fence" : "no answer in time");
            return streamed ? StreamResult.Streamed : StreamResult.Refused;
        }
        catch (OperationCanceledException)
        {
            Ended("the run ended");
            return StreamResult.Streamed;
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            Ended($"broken: {e.Message}");
            return streamed ? StreamResult.Streamed : StreamResult.Refused;
        }
        finally
        {
            lock (gate)
                current = null;
        }
    }

    private void Dispatch(int connection, string node, string? name, string? idText, string? data)
    {
        if (name is not ("change" or "progress") || data is null)
            return;
        var at = HistoryRecorder.NowNs();
        if (!long.TryParse(idText, NumberStyles.None, CultureInfo.InvariantCulture, out var eventId))
        {
            Anomaly($"a {name} event from {node} without a numeric id ('{idText}')");
            return;
        }

        using var json = JsonDocument.Parse(data);
        var root = json.RootElement;
        lock (gate)
        {
            if (name == "change")
            {
                var revision = root.GetProperty("revision").GetInt64();
                if (revision != eventId)
                    anomalies.Add($"a change event from {node} with id {eventId} carries revision {revision}");
                foreach (var change in root.GetProperty("changes").EnumerateArray())
                {
                    var put = change.GetProperty("type").GetString() == "put";
                    deliveries.Add(new WatchDelivery
                    {
                        Watcher = id, Connection = connection, Node = node, AtNs = at, Revision = change.GetProperty("revision").GetInt64(),
                        Key = change.GetProperty("key").GetString()!, Kind = put ? WatchChangeKind.Put : WatchChangeKind.Delete,
                        Value = put ? Text(change.GetProperty("value")) : null, PreviousRevision = change.GetProperty("previousRevision").GetInt64(),
                    });
                }
            }
            else if (eventId < Reached)
            {
                anomalies.Add($"a progress event from {node} with id {eventId}, after events through {Reached}");
            }

            if (eventId > Reached)
                Interlocked.Exchange(ref reached, eventId);
            progressed.TrySetResult();
            progressed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    private void Anomaly(string text)
    {
        lock (gate)
            anomalies.Add(text);
    }

    private static string Text(JsonElement value) => value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText();

    private static long? OldestRevision(string? json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json ?? "");
            return doc.RootElement.TryGetProperty("oldestRevision", out var oldest) && oldest.TryGetInt64(out var value) ? value : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private enum StreamResult
    {
        Streamed,
        Refused,
        Gone,
    }
}
