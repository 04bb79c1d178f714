using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using GeoLedger.Faults.Watch;

namespace GeoLedger.Faults.Tests;

/// <summary>
/// The fault run's watch client against scripted nodes on loopback: it records each change, resumes on the other node
/// with Last-Event-ID after a stream ends, and gives up (saying so) when every node answers 410.
/// </summary>
public sealed class WatcherTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_broken_stream_resumes_on_the_other_node_after_the_last_event_id()
    {
        var change3 = "id: 3\nevent: change\ndata: {\"revision\":3,\"changes\":[{\"type\":\"put\",\"key\":\"k0\",\"value\":\"a\",\"revision\":3,\"previousRevision\":0}]}\n\n";
        var progress5 = "id: 5\nevent: progress\ndata: {\"revision\":5}\n\n";
        var change7 = "id: 7\nevent: change\ndata: {\"revision\":7,\"changes\":[{\"type\":\"delete\",\"key\":\"k0\",\"revision\":7,\"previousRevision\":3}]}\n\n";
        await using var nodes = new ScriptedNodes(
            Sse(": watching from revision 1\n\n" + change3 + progress5), // then the stream ends, as when a node dies
            Sse(change7, holdOpen: true));
        var watcher = new Watcher(1, nodes.Members, "k", new Random(7));
        using var stop = new CancellationTokenSource();
        var run = watcher.RunAsync(stop.Token);

        Assert.True(await watcher.WaitReachedAsync(7, Patience), $"reached only {watcher.Reached}");
        await stop.CancelAsync();
        await run.WaitAsync(Patience);

        var requests = nodes.Requests.ToList();
        Assert.Contains("fromRevision=1", requests[0].Target, StringComparison.Ordinal);
        Assert.Null(requests[0].LastEventId);
        Assert.Equal("5", requests[1].LastEventId);
        var record = watcher.Record();
        Assert.Equal([(3L, WatchChangeKind.Put, "a", 0L), (7L, WatchChangeKind.Delete, (string?)null, 3L)], record.Deliveries.Select(d => (d.Revision, d.Kind, d.Value, d.PreviousRevision)));

        // An attempt can also fail before a node reads its request (on a loaded machine a loopback connect can outlast
        // the watcher's 1 s connect timeout); it is recorded with status 0, and the next attempt goes to the other node.
        var attempts = record.Connections.OrderBy(c => c.Number).ToList();
        var describe = string.Join("; ", attempts.Select(c => $"#{c.Number} {c.Node} from {c.From}: {c.Status}, {c.Ended}"));
        Assert.Equal(Enumerable.Range(1, attempts.Count), attempts.Select(c => c.Number));
        var streams = attempts.Where(c => c.Status == 200).ToList();
        Assert.True(streams.Count == 2, describe);
        Assert.All(attempts.Except(streams), c => Assert.True(c.Status == 0, describe));
        Assert.Equal([requests[0].Node, requests[1].Node], streams.Select(c => c.Node));
        Assert.Equal([1L, 6L], streams.Select(c => c.From));
        Assert.Equal(streams.Select(c => c.Number), record.Deliveries.Select(d => d.Connection));
        Assert.All(attempts.Skip(1).Zip(attempts), pair => Assert.True(pair.First.Node != pair.Second.Node, describe));
        Assert.Empty(record.Anomalies);
        Assert.Null(record.GaveUp);
    }

    [Fact]
    public async Task It_gives_up_and_says_why_when_every_node_answers_410()
    {
        var gone = "HTTP/1.1 410 Gone\r\nContent-Type: application/problem+json\r\nConnection: close\r\n\r\n{\"status\":410,\"oldestRevision\":300}";
        await using var nodes = new ScriptedNodes(gone, gone);
        var watcher = new Watcher(1, nodes.Members, "k", new Random(7));

        await watcher.RunAsync(CancellationToken.None).WaitAsync(Patience);

        var record = watcher.Record();
        Assert.Contains("every node answered 410", record.GaveUp, StringComparison.Ordinal);
        var answered = record.Connections.Where(c => c.Status != 0).ToList(); // leaves out an attempt that failed to connect
        Assert.Equal([300L, 300L], answered.Select(c => c.OldestRevision ?? 0));
        Assert.All(answered, c => Assert.Equal(410, c.Status));
        Assert.Equal(2, answered.Select(c => c.Node).Distinct().Count());
        Assert.False(await watcher.WaitReachedAsync(1, TimeSpan.FromSeconds(1)));
    }

    private static string Sse(string events, bool holdOpen = false) =>
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n" + events + (holdOpen ? ScriptedNodes.HoldOpen : "");

    /// <summary>Two fake nodes on loopback answering requests from one script, in order, whichever node is asked.</summary>
    private sealed class ScriptedNodes : IAsyncDisposable
    {
        public const string HoldOpen = "\u0000hold";
        private readonly List<TcpListener> listeners = [];
        private readonly ConcurrentQueue<string> script;
        private readonly CancellationTokenSource stop = new();
        private readonly List<Task> serving = [];

        public ScriptedNodes(params string[] answers)
        {
            script = new ConcurrentQueue<string>(answers);
            for (var i = 0; i < 2; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                listeners.Add(listener);
                var node = $"node-{i}";
                serving.Add(Task.Run(() => ServeAsync(listener, node)));
            }

            Members = listeners.Select((l, i) => ($"node-{i}", new Uri($"http://127.0.0.1:{((IPEndPoint)l.LocalEndpoint).Port}/"))).ToList();
        }

        public IReadOnlyList<(string Id, Uri Url)> Members { get; }

        public ConcurrentQueue<(string Node, string Target, string? LastEventId)> Requests { get; } = new();

        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync();
            foreach (var listener in listeners)
                listener.Stop();
            await Task.WhenAll(serving).WaitAsync(Patience);
        }

        private async Task ServeAsync(TcpListener listener, string node)
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    using var client = await listener.AcceptTcpClientAsync(stop.Token);
                    await using var stream = client.GetStream();
                    using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
                    if (await reader.ReadLineAsync(stop.Token) is not { } requestLine)
                        continue; // a connection closed before it sent a request (a connect the client gave up on)
                    var target = requestLine.Split(' ')[1];
                    string? lastEventId = null;
                    for (var line = await reader.ReadLineAsync(stop.Token); !string.IsNullOrEmpty(line); line = await reader.ReadLineAsync(stop.Token))
                    {
                        if (line.StartsWith("Last-Event-ID:", StringComparison.OrdinalIgnoreCase))
                            lastEventId = line["Last-Event-ID:".Length..].Trim();
                    }

                    Requests.Enqueue((node, target, lastEventId));
                    var answer = script.TryDequeue(out var next) ? next : "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
                    var hold = answer.EndsWith(HoldOpen, StringComparison.Ordinal);
                    await stream.WriteAsync(Encoding.UTF8.GetBytes(hold ? answer[..^HoldOpen.Length] : answer), stop.Token);
                    await stream.FlushAsync(stop.Token);
                    if (hold)
                        await Task.Delay(Timeout.Infinite, stop.Token); // the stream stays open until the test ends
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or IOException)
            {
                // the test is over
            }
        }
    }
}
