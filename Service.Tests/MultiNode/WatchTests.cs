using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using GeoLedger.LocalCluster;
using GeoLedger.Tests.Watch;
using Xunit.Abstractions;

namespace GeoLedger.Tests.MultiNode;

/// <summary>
/// A watcher on a follower of a real 3-node cluster sees every change of 10,000 writes from 8 clients, once each, in
/// revision order, while the leader is SIGKILLed and restarted twice; it reconnects with Last-Event-ID (at each kill,
/// and whenever its stream breaks). Progress events arrive; a node keeping few changes answers 410 past them.
/// </summary>
[Collection(MultiNodeCollection.Name)]
public sealed class WatchTests(ITestOutputHelper output)
{
    private const int Clients = 8;
    private const int Writes = 10_000;
    private const string Prefix = "watched/";

    private sealed record Written(string Key, string Value, long Revision);

    private sealed record Seen(long Revision, string Type, string Key, string? Value, long PreviousRevision);

    [Fact]
    public async Task A_watcher_on_a_follower_sees_every_change_once_in_order_through_two_leader_kills()
    {
        await using var cluster = await TestCluster.StartAsync(3, new Dictionary<string, string> { ["Ledger:WatchProgressMs"] = "500" },
            perNode: id => id == "node-1" ? new Dictionary<string, string> { ["Ledger:WatchHistoryChanges"] = "100" } : null);
        await cluster.WithOutputOnFailureAsync(async () =>
        {
            var watched = cluster.Nodes["node-2"];
            await cluster.EnsureLeaderIsNotAsync(watched);
            using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = true, UseProxy = false }) { Timeout = TimeSpan.FromSeconds(15) };
            using var watchHttp = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = Timeout.InfiniteTimeSpan };

            var seen = new ConcurrentQueue<Seen>();
            var watcher = new Watcher(watchHttp, watched.PublicUrl, seen);
            await watcher.StartAsync();

            var acknowledged = new ConcurrentQueue<Written>();
            var unknown = new ConcurrentDictionary<string, string>(); // value -> key
            var remaining = Writes;
            var done = 0;
            var writers = Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
            {
                var random = new Random(c);
                for (var n = 0; Interlocked.Decrement(ref remaining) >= 0; n++)
                {
                    var key = $"{Prefix}{c}/{n % 40}";
                    var value = $$"""{"c":{{c}},"n":{{n}}}""";
                    while (true)
                    {
                        var node = cluster.Nodes.Nodes[random.Next(3)].PublicUrl;
                        try
                        {
                            using var put = await KvClient.PutAsync(http, node, key, value);
                            if (put.StatusCode == HttpStatusCode.OK)
                            {
                                acknowledged.Enqueue(new Written(key, value, (await put.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("revision").GetInt64()));
                                Interlocked.Increment(ref done);
                                break;
                            }

                            if (put.StatusCode == HttpStatusCode.ServiceUnavailable)
                                continue; // not attempted: no leader yet
                            unknown[value] = key; // 504
                            break;
                        }
                        catch (HttpRequestException e) when (e.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused })
                        {
                            // that node (or the leader it redirected to) is down: nothing was sent
                        }
                        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                        {
                            unknown[value] = key;
                            break;
                        }
                    }
                }
            })).ToList();

            var killed = new List<string>();
            for (var kill = 1; kill <= 2; kill++)
            {
                var target = Writes * kill / 3;
                await Conditions.WaitUntilAsync(() => Volatile.Read(ref done) >= target, TimeSpan.FromSeconds(120), $"{target} writes are done");
                var leader = await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
                await leader.KillAsync();
                killed.Add(leader.Id);
                await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30), cluster.Nodes.Nodes.Where(n => n != leader).ToList());
                leader.Start();
                await leader.WaitReadyAsync(cluster.Nodes.Http, TimeSpan.FromSeconds(60));
                await watcher.ReconnectAsync(); // besides any break, a reconnect at each kill, as a reloaded page's EventSource does
            }

            await Task.WhenAll(writers);
            var written = acknowledged.ToList();
            var last = written.Max(w => w.Revision);
            await Conditions.WaitUntilAsync(() => watcher.Through >= last && watcher.Progress > 0, TimeSpan.FromSeconds(60), $"the watcher has seen revision {last} and a progress event");
            await watcher.StopAsync();

            var events = seen.ToList();
            output.WriteLine($"{written.Count} writes acknowledged, {unknown.Count} of unknown outcome; leaders killed: {string.Join(", ", killed)}; "
                + $"the watcher on {watched.Id} saw {events.Count} changes in {watcher.Connections} connections and {watcher.Progress} progress events");

            // In revision order, none twice; a key's changes form a chain (each names the one before it), so none is missing.
            var revisions = events.Select(e => e.Revision).ToList();
            Assert.True(revisions.Zip(revisions.Skip(1)).All(p => p.First < p.Second), "changes out of revision order or repeated");
            foreach (var key in events.GroupBy(e => e.Key))
            {
                var previous = 0L;
                foreach (var change in key)
                {
                    Assert.True(change.PreviousRevision == previous, $"{key.Key}: the change at {change.Revision} follows {change.PreviousRevision}, but the watcher saw {previous} last");
                    previous = change.Revision;
                }
            }

            var byValue = events.ToDictionary(e => e.Value!);
            var missing = written.Where(w => !byValue.TryGetValue(w.Value, out var e) || e.Revision != w.Revision || e.Key != w.Key).ToList();
            Assert.True(missing.Count == 0, $"{missing.Count} acknowledged writes not seen as written, e.g. {string.Join("; ", missing.Take(3))}");
            var acknowledgedValues = written.Select(w => w.Value).ToHashSet();
            var phantoms = events.Where(e => !acknowledgedValues.Contains(e.Value!) && !unknown.ContainsKey(e.Value!)).ToList();
            Assert.True(phantoms.Count == 0, $"{phantoms.Count} changes nobody wrote, e.g. {string.Join("; ", phantoms.Take(3))}");
            Assert.Equal(2, killed.Count);
            Assert.True(watcher.Connections >= 3, $"the watcher connected {watcher.Connections} times");

            // node-1 keeps 100 changes: a watch from the start is 410, with the oldest revision it still has.
            using var gone = await http.GetAsync(new Uri(cluster.Nodes["node-1"].PublicUrl, $"/v1/watch?prefix={Prefix}&fromRevision=1"));
            Assert.Equal(HttpStatusCode.Gone, gone.StatusCode);
            var oldest = (await gone.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("oldestRevision").GetInt64();
            Assert.True(oldest > 1 && oldest <= last, $"oldestRevision {oldest}");
        });
    }

    /// <summary>Follows one node's watch, reconnecting with Last-Event-ID whenever the stream ends or is dropped.</summary>
    private sealed class Watcher(HttpClient http, Uri node, ConcurrentQueue<Seen> seen)
    {
        private readonly CancellationTokenSource stopped = new();
        private CancellationTokenSource connection = new();
        private Task loop = Task.CompletedTask;
        private string? lastEventId;
        private long through;
        private int progress;
        private int connections;

        /// <summary>Every change up to this revision has been received.</summary>
        public long Through => Interlocked.Read(ref through);

        public int Progress => Volatile.Read(ref progress);

        public int Connections => Volatile.Read(ref connections);

        /// <summary>Opens the first stream (from the next revision) once the node serves it.</summary>
        public async Task StartAsync()
        {
            var opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            loop = Task.Run(() => RunAsync(opened));
            await opened.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }

        /// <summary>Drops the current stream; the watcher reconnects with the last id it received.</summary>
        public async Task ReconnectAsync()
        {
            var before = Connections;
            try
            {
                await Volatile.Read(ref connection).CancelAsync();
            }
            catch (ObjectDisposedException)
            {
                // Between two streams: the next one is being opened anyway.
            }

            await Conditions.WaitUntilAsync(() => Connections > before, TimeSpan.FromSeconds(60), "the watcher reconnects");
        }

        public async Task StopAsync()
        {
            await stopped.CancelAsync(); // each stream's token is linked to it
            await loop;
        }

        private async Task RunAsync(TaskCompletionSource opened)
        {
            while (!stopped.IsCancellationRequested)
            {
                using var current = CancellationTokenSource.CreateLinkedTokenSource(stopped.Token);
                Volatile.Write(ref connection, current);
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(node, $"/v1/watch?prefix={Prefix}"));
                    if (lastEventId is not null)
                        request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
                    using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, current.Token);
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        // 503 while no leader confirms the read index; anything else is a failure the checks will show.
                        Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"watch answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                        await Task.Delay(100, current.Token);
                        continue;
                    }

                    Interlocked.Increment(ref connections);
                    opened.TrySetResult();
                    await foreach (var e in SseReader.ReadAsync(await response.Content.ReadAsStreamAsync(current.Token), current.Token))
                        Receive(e);
                }
                catch (Exception e) when (e is OperationCanceledException or HttpRequestException or IOException)
                {
                    // Dropped, or the node is down: reconnect, pausing a little while it is down.
                    if (e is HttpRequestException && !stopped.IsCancellationRequested)
                        await Task.Delay(100);
                }
            }
        }

        private void Receive(SseEvent e)
        {
            if (e.Event == "change")
            {
                foreach (var change in e.Json.GetProperty("changes").EnumerateArray())
                {
                    seen.Enqueue(new Seen(
                        change.GetProperty("revision").GetInt64(),
                        change.GetProperty("type").GetString()!,
                        change.GetProperty("key").GetString()!,
                        change.TryGetProperty("value", out var value) ? value.GetRawText() : null,
                        change.GetProperty("previousRevision").GetInt64()));
                }
            }
            else if (e.Event == "progress")
            {
                Interlocked.Increment(ref progress);
            }
            else
            {
                throw new InvalidOperationException($"unexpected event {e.Event}: {e.Data}");
            }

            if (e.Id is not null)
            {
                lastEventId = e.Id;
                Interlocked.Exchange(ref through, long.Parse(e.Id));
            }
        }
    }
}
