using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;
using GeoLedger.Faults.Checker;
using GeoLedger.Faults.History;
using GeoLedger.Faults.Run;
using GeoLedger.Faults.Workload;

namespace GeoLedger.Tests.MultiNode;

/// <summary>
/// Money moved between accounts with transactions on a real 3-node cluster whose leader is SIGKILLed: the total never
/// changes, and each account's history (reads, and every transfer as a compare-and-set on both accounts) is
/// linearizable by the fault suite's checker. Every written value is unique, so "the key's revision is r" and "the key
/// holds the value read at r" are the same condition, which is what lets a revision compare stand as a register cas.
/// </summary>
[Collection(MultiNodeCollection.Name)]
public sealed class TransferTests(ITestOutputHelper output)
{
    private const int Accounts = 10;
    private const int Clients = 16;
    private const long Opening = 1_000;
    private static readonly TimeSpan Load = TimeSpan.FromSeconds(30);

    private sealed record Balance(string Text, long Amount, long Revision);

    [Fact]
    public async Task Sixteen_clients_moving_money_through_a_leader_kill_keep_the_total_and_linearizable_accounts()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await cluster.WithOutputOnFailureAsync(async () =>
        {
            using var http = Client();
            var history = new HistoryRecorder();
            var leader = await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            for (var i = 0; i < Accounts; i++)
            {
                var value = Value(Opening, "open");
                var invoked = HistoryRecorder.NowNs();
                using var put = await KvClient.PutAsync(http, leader.PublicUrl, Account(i), value);
                Assert.Equal(HttpStatusCode.OK, put.StatusCode);
                history.Add(new Operation { Id = history.NextId(), Client = Clients, Key = Account(i), Kind = OperationKind.Write, Value = value, InvokeNs = invoked, CompleteNs = HistoryRecorder.NowNs(), Outcome = OperationOutcome.Ok });
            }

            using var stop = new CancellationTokenSource(Load);
            var committed = new int[Clients];
            var workers = Enumerable.Range(0, Clients).Select(c => Task.Run(() => TransferLoopAsync(c, cluster, history, committed, stop.Token))).ToList();

            // A third of the way in, the leader dies (SIGKILL); it comes back once another leads.
            await Task.Delay(Load / 3, stop.Token);
            var killed = await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            var committedBeforeKill = committed.Sum();
            await killed.KillAsync();
            var survivors = cluster.Nodes.Nodes.Where(n => n != killed).ToList();
            var next = await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30), survivors);
            killed.Start();
            await killed.WaitReadyAsync(cluster.Nodes.Http, TimeSpan.FromSeconds(60));
            var committedAfterRestart = committed.Sum();
            await Task.WhenAll(workers);

            // Every account, read linearizably through each node: the money must all be there, seen from anywhere.
            var totals = new List<long>();
            foreach (var node in cluster.Nodes.Nodes)
            {
                long sum = 0;
                for (var i = 0; i < Accounts; i++)
                {
                    var invoked = HistoryRecorder.NowNs();
                    var balance = await ReadAsync(http, node.PublicUrl, Account(i), CancellationToken.None);
                    Assert.NotNull(balance);
                    history.Add(Read(history, Clients, Account(i), balance.Text, invoked));
                    sum += balance.Amount;
                }

                totals.Add(sum);
            }

            Assert.NotEqual(killed.Id, next.Id);
            Assert.True(committedBeforeKill > 0, "no transfer committed before the leader was killed");
            Assert.True(committed.Sum() > committedAfterRestart, "no transfer committed after the killed leader came back");
            var operations = history.Snapshot();
            var result = LinearizabilityChecker.Check(operations, TimeSpan.FromSeconds(120));
            output.WriteLine($"{committed.Sum()} transfers committed ({committedBeforeKill} before the kill of {killed.Id}), "
                + $"{operations.Count(o => o.Kind == OperationKind.Cas && o.Outcome == OperationOutcome.Unknown) / 2} of unknown outcome; "
                + $"{operations.Count} operations checked in {result.Elapsed.TotalSeconds:0.0} s: {result.Verdict}");
            var report = string.Join("; ", result.Keys.Select(k => $"{k.Key}: {k.Verdict} ({k.OperationCount} ops){(k.Violation is null ? "" : " " + k.Violation)}{k.UnknownReason}"));
            Assert.True(
                result.Verdict == Verdict.Linearizable && totals.All(t => t == Accounts * Opening),
                $"totals read through each node: {string.Join(", ", totals)} (opened with {Accounts * Opening}); accounts {result.Verdict}: {report}");
        });
    }

    private static string Account(int i) => $"bank/{i}";

    /// <summary>A balance as the unique JSON text it is stored as (the writer's tag makes every write's value distinct).</summary>
    private static string Value(long amount, string tag) => $$"""{"balance":{{amount}},"by":"{{tag}}"}""";

    private static Operation Read(HistoryRecorder history, int client, string key, string? text, long invoked) => new()
    {
        Id = history.NextId(), Client = client, Key = key, Kind = OperationKind.Read, InvokeNs = invoked,
        CompleteNs = HistoryRecorder.NowNs(), Outcome = OperationOutcome.Ok, Result = text,
    };

    /// <summary>
    /// Single send: .NET would silently resend a transfer whose connection the killed leader dropped,
    /// and the resend's refusal or failed compare would hide a transfer that committed. One per
    /// client: the guard needs one request at a time.
    /// </summary>
    private static HttpClient Client()
    {
        var http = SingleSendHttp.Create(TimeSpan.FromSeconds(1), followRedirects: true);
        http.Timeout = TimeSpan.FromSeconds(10);
        return http;
    }

    private static async Task TransferLoopAsync(int client, TestCluster cluster, HistoryRecorder history, int[] committed, CancellationToken stop)
    {
        using var http = Client();
        var random = new Random(client);
        var sequence = 0;
        while (!stop.IsCancellationRequested)
        {
            var node = cluster.Nodes.Nodes[random.Next(cluster.Nodes.Nodes.Count)].PublicUrl;
            var from = random.Next(Accounts);
            var to = (from + 1 + random.Next(Accounts - 1)) % Accounts;
            var invokedFrom = HistoryRecorder.NowNs();
            var a = await ReadAsync(http, node, Account(from), stop);
            if (a is null)
                continue;
            history.Add(Read(history, client, Account(from), a.Text, invokedFrom));
            var invokedTo = HistoryRecorder.NowNs();
            var b = await ReadAsync(http, node, Account(to), stop);
            if (b is null)
                continue;
            history.Add(Read(history, client, Account(to), b.Text, invokedTo));
            var amount = Math.Min(a.Amount, 1 + random.Next(50));
            if (amount == 0)
                continue;

            var tag = $"c{client}-{sequence++}";
            var newFrom = Value(a.Amount - amount, tag);
            var newTo = Value(b.Amount + amount, tag);
            var body = $$"""
                {"compare": [{"key": "{{Account(from)}}", "target": "revision", "result": "equal", "value": {{a.Revision}}},
                             {"key": "{{Account(to)}}", "target": "revision", "result": "equal", "value": {{b.Revision}}}],
                 "success": [{"put": {"key": "{{Account(from)}}", "value": {{newFrom}} } }, {"put": {"key": "{{Account(to)}}", "value": {{newTo}} } }]}
                """;
            var invoked = HistoryRecorder.NowNs();
            var outcome = await TransferAsync(http, node, body);
            if (outcome is null)
                continue; // not attempted (503, refused connection) or a compare that failed: no fact about either account
            var completed = outcome == OperationOutcome.Ok ? HistoryRecorder.NowNs() : (long?)null;
            if (outcome == OperationOutcome.Ok)
                Interlocked.Increment(ref committed[client]);
            history.Add(new Operation { Id = history.NextId(), Client = client, Key = Account(from), Kind = OperationKind.Cas, Expected = a.Text, Value = newFrom, InvokeNs = invoked, CompleteNs = completed, Outcome = outcome.Value });
            history.Add(new Operation { Id = history.NextId(), Client = client, Key = Account(to), Kind = OperationKind.Cas, Expected = b.Text, Value = newTo, InvokeNs = invoked, CompleteNs = completed, Outcome = outcome.Value });
        }
    }

    /// <summary>Ok when the transfer committed; Unknown when its outcome is unknown; null when it certainly changed nothing.</summary>
    private static async Task<OperationOutcome?> TransferAsync(HttpClient http, Uri node, string body)
    {
        try
        {
            using var response = await http.PostAsync(new Uri(node, "/v1/txn"), new StringContent(body, Encoding.UTF8, "application/json"));
            switch (response.StatusCode)
            {
                case HttpStatusCode.OK:
                    var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
                    return answer.GetProperty("succeeded").GetBoolean() ? OperationOutcome.Ok : null;
                case HttpStatusCode.ServiceUnavailable:
                    return null;
                case HttpStatusCode.GatewayTimeout:
                    return OperationOutcome.Unknown;
                default:
                    throw new InvalidOperationException($"transfer answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            }
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
        {
            return null; // the node (or the leader it redirected to) is down: nothing was sent
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            return OperationOutcome.Unknown;
        }
    }

    /// <summary>A linearizable read of an account, or null when it could not be done (a node down, no leader, a timeout).</summary>
    private static async Task<Balance?> ReadAsync(HttpClient http, Uri node, string key, CancellationToken stop)
    {
        try
        {
            using var response = await http.GetAsync(new Uri(node, "/v1/kv/" + key), stop);
            if (response.StatusCode != HttpStatusCode.OK)
                return null;
            var entry = await response.Content.ReadFromJsonAsync<JsonElement>(stop);
            var value = entry.GetProperty("value");
            return new Balance(value.GetRawText(), value.GetProperty("balance").GetInt64(), entry.GetProperty("revision").GetInt64());
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            return null;
        }
    }
}
