using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using GeoLedger.Faults.History;
using GeoLedger.Faults.Run;

namespace GeoLedger.Faults.Workload;

/// <summary>
/// One client: random linearizable reads, writes, compare-and-sets and deletes on a few keys, each
/// recorded with invocation and completion time and an outcome that is only "ok" or "fail" when the
/// answer proves it (a timeout or a 504 is "unknown"). Values are unique per write, so a revision
/// seen by a read stands for exactly one value and a compare-and-set on it is a CAS on that value.
/// Every write's 200 must name the entry written (<see cref="WriteAnswerCheck"/>).
/// </summary>
public sealed class KvWorker(int client, IReadOnlyList<Uri> nodes, IReadOnlyList<string> keys, HistoryRecorder history, Random random, WorkloadControl control, int opsPerSecond)
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(4);
    private readonly Dictionary<string, (string Value, long Revision)?> lastSeen = new(StringComparer.Ordinal);
    private readonly HttpClient http = SingleSendHttp.Create(connectTimeout: TimeSpan.FromSeconds(1));

    private long sequence;

    /// <summary>This client's id in the history.</summary>
    public int Client => client;

    /// <summary>Counts by status class, for the run's report.</summary>
    public WorkerStats Stats { get; } = new();

    /// <summary>Runs until <paramref name="token"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken token)
    {
        var pace = TimeSpan.FromSeconds(1.0 / opsPerSecond);
        while (!token.IsCancellationRequested)
        {
            var started = HistoryRecorder.NowNs();
            var key = keys[random.Next(keys.Count)];
            var roll = random.Next(100);
            if (roll < 45)
                await ReadAsync(key, token).ConfigureAwait(false);
            else if (roll < 70)
                await WriteAsync(key, token).ConfigureAwait(false);
            else if (roll < 90)
                await CompareAndSetAsync(key, token).ConfigureAwait(false);
            else
                await DeleteAsync(key, token).ConfigureAwait(false);

            var rest = pace - TimeSpan.FromTicks((HistoryRecorder.NowNs() - started) / 100);
            if (rest > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(rest, token).ConfigureAwait(false); // pacing keeps the history checkable, not a wait for a condition
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>A linearizable read of <paramref name="key"/> (recorded as such; see <see cref="WorkloadControl.SabotageTarget"/>).</summary>
    public async Task ReadAsync(string key, CancellationToken token)
    {
        var node = PickNode();
        var consistency = "linearizable";
        if (control.SabotageTarget is { } target)
        {
            node = target; // the sabotage: a cut-off node read locally, recorded as linearizable
            consistency = "local";
        }

        var id = history.NextId();
        var invoke = HistoryRecorder.NowNs();
        var reply = await SendAsync(HttpMethod.Get, node, key, $"?consistency={consistency}", null, null, token).ConfigureAwait(false);
        var complete = HistoryRecorder.NowNs();
        var (outcome, result) = reply.Status switch
        {
            HttpStatusCode.OK => (OperationOutcome.Ok, reply.Value),
            HttpStatusCode.NotFound => (OperationOutcome.Ok, (string?)null),
            _ => (reply.Attempted ? OperationOutcome.Unknown : OperationOutcome.Fail, null),
        };
        if (outcome == OperationOutcome.Ok)
            lastSeen[key] = result is null ? null : (result, reply.Revision);
        Record(new Operation
        {
            Id = id, Client = client, Key = key, Kind = OperationKind.Read, InvokeNs = invoke,
            CompleteNs = outcome == OperationOutcome.Unknown ? null : complete, Outcome = outcome, Result = result,
        });
    }

    private async Task WriteAsync(string key, CancellationToken token)
    {
        var value = NewValue();
        var id = history.NextId();
        var invoke = HistoryRecorder.NowNs();
        var reply = await SendAsync(HttpMethod.Put, PickNode(), key, "", value, null, token).ConfigureAwait(false);
        var outcome = reply.Status == HttpStatusCode.OK ? OperationOutcome.Ok : WriteFailure(reply);
        if (outcome == OperationOutcome.Ok)
            lastSeen[key] = (value, reply.Revision);
        Record(new Operation
        {
            Id = id, Client = client, Key = key, Kind = OperationKind.Write, Value = value, InvokeNs = invoke,
            CompleteNs = outcome == OperationOutcome.Unknown ? null : HistoryRecorder.NowNs(), Outcome = outcome,
            Revision = outcome == OperationOutcome.Ok ? reply.Revision : null,
        });
    }

    private async Task CompareAndSetAsync(string key, CancellationToken token)
    {
        var value = NewValue();
        var seen = lastSeen.GetValueOrDefault(key);
        var precondition = seen is { } s ? ("If-Match", $"\"{s.Revision}\"") : ("If-None-Match", "*");
        var id = history.NextId();
        var invoke = HistoryRecorder.NowNs();
        var reply = await SendAsync(HttpMethod.Put, PickNode(), key, "", value, precondition, token).ConfigureAwait(false);
        var outcome = reply.Status switch
        {
            HttpStatusCode.OK => OperationOutcome.Ok,
            HttpStatusCode.PreconditionFailed => OperationOutcome.Fail, // decided at apply time: the precondition did not hold
            _ => WriteFailure(reply) == OperationOutcome.Fail ? OperationOutcome.Fail : OperationOutcome.Unknown,
        };

        // A 503 (or 307 twice) means not attempted: record nothing, a non-attempt constrains nothing.
        if (outcome == OperationOutcome.Fail && reply.Status != HttpStatusCode.PreconditionFailed)
            return;
        lastSeen[key] = outcome == OperationOutcome.Ok ? (value, reply.Revision) : null;
        Record(new Operation
        {
            Id = id, Client = client, Key = key, Kind = OperationKind.Cas, Value = value,
            Expected = seen?.Value, ExpectedAbsent = seen is null, InvokeNs = invoke,
            CompleteNs = outcome == OperationOutcome.Unknown ? null : HistoryRecorder.NowNs(), Outcome = outcome,
            Revision = outcome == OperationOutcome.Ok ? reply.Revision : null,
        });
    }

    private async Task DeleteAsync(string key, CancellationToken token)
    {
        var id = history.NextId();
        var invoke = HistoryRecorder.NowNs();
        var reply = await SendAsync(HttpMethod.Delete, PickNode(), key, "", null, null, token).ConfigureAwait(false);
        var outcome = reply.Status switch
        {
            HttpStatusCode.NoContent => OperationOutcome.Ok,
            HttpStatusCode.NotFound => OperationOutcome.Fail, // the key was absent when the delete applied
            _ => WriteFailure(reply),
        };
        if (outcome == OperationOutcome.Fail && reply.Status != HttpStatusCode.NotFound)
            return; // not attempted
        lastSeen[key] = null;
        Record(new Operation
        {
            Id = id, Client = client, Key = key, Kind = OperationKind.Delete, InvokeNs = invoke,
            CompleteNs = outcome == OperationOutcome.Unknown ? null : HistoryRecorder.NowNs(), Outcome = outcome,
        });
    }

    private void Record(Operation operation)
    {
        history.Add(operation);
        Stats.Count(operation.Outcome);
    }

    private string NewValue() => $"c{client}-{++sequence}";

    private Uri PickNode() => nodes[random.Next(nodes.Count)];

    /// <summary>
    /// 503 (or 307 twice, or a connection never opened): not attempted. Anything else without an
    /// answer is unknown. "Never opened" is only true because <see cref="SingleSendHttp"/> stops the
    /// handler's silent resend: a run (seed 7265831593960562751) committed a delete whose first copy
    /// the SIGKILLed leader had read, while the resend was refused a connection and recorded as not
    /// attempted.
    /// </summary>
    private OperationOutcome WriteFailure(Reply reply)
    {
        if ((int)reply.Status >= 500 && reply.Status is not (HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout))
            Stats.UnexpectedServerError(reply.Status);
        return reply.Attempted ? OperationOutcome.Unknown : OperationOutcome.Fail;
    }

    /// <summary>
    /// Sends one request, following one redirect to the leader. <c>Attempted</c> is false only when
    /// the request provably did nothing: a 503, a 307 that could not be followed, or a connection
    /// that was never opened.
    /// </summary>
    private async Task<Reply> SendAsync(HttpMethod method, Uri node, string key, string query, string? value, (string Name, string Value)? precondition, CancellationToken token)
    {
        var target = new Uri(node, $"/v1/kv/{Uri.EscapeDataString(key)}{query}");
        for (var hop = 0; hop < 2; hop++)
        {
            using var request = new HttpRequestMessage(method, target);
            if (value is not null)
                request.Content = new StringContent(JsonSerializer.Serialize(new { value }), Encoding.UTF8, "application/json");
            if (precondition is { } p)
                request.Headers.TryAddWithoutValidation(p.Name, p.Value);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
            deadline.CancelAfter(RequestTimeout);
            try
            {
                using var response = await http.SendAsync(request, deadline.Token).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.TemporaryRedirect && response.Headers.Location is { } location)
                {
                    target = location;
                    continue;
                }

                if (response.StatusCode == HttpStatusCode.OK && method != HttpMethod.Delete)
                {
                    var body = await response.Content.ReadAsStringAsync(deadline.Token).ConfigureAwait(false);
                    if (method == HttpMethod.Put)
                        CheckWriteAnswer(key, value!, body, response);
                    // A 200 that is not an entry proves nothing about the outcome: unknown (a write's anomaly is counted above).
                    return EntryAnswer.Parse(body) is { } answer
                        ? new Reply(response.StatusCode, answer.Value, answer.Revision, Attempted: true)
                        : new Reply(0, null, 0, Attempted: true);
                }

                return new Reply(response.StatusCode, null, 0, Attempted: response.StatusCode != HttpStatusCode.ServiceUnavailable);
            }
            catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable })
            {
                return new Reply(0, null, 0, Attempted: false);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
            {
                if (e.InnerException is ResendRefusedException)
                    Stats.ResendStopped();
                return new Reply(0, null, 0, Attempted: true);
            }
        }

        return new Reply(HttpStatusCode.TemporaryRedirect, null, 0, Attempted: false); // redirected twice: no leader took it
    }

    private void CheckWriteAnswer(string key, string written, string body, HttpResponseMessage response)
    {
        var header = response.Headers.TryGetValues(WriteAnswerCheck.RevisionHeader, out var values) ? values.FirstOrDefault() : null;
        Stats.AnswerChecked(WriteAnswerCheck.Check(client, key, written, body, header));
    }

    private readonly record struct Reply(HttpStatusCode Status, string? Value, long Revision, bool Attempted);
}
