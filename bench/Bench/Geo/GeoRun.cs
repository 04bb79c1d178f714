using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using GeoLedger.LocalCluster.Geo;

namespace GeoLedger.Bench.Geo;

/// <summary>One system's latencies on one geo row (sequential requests, one client).</summary>
internal sealed record GeoStats(int Ok, int Failed, double P50Ms, double P99Ms, IReadOnlyDictionary<string, int> FailuresByStatus);

/// <summary>One row of the geo table: both systems and the goal.</summary>
internal sealed record GeoRow(string Id, string Title, double? GoalMs, string GoalText, GeoStats? GeoLedger, GeoStats? Etcd, string? Note);

/// <summary>The geo section's results.</summary>
internal sealed record GeoResult(
    IReadOnlyList<string> Regions,
    IReadOnlyList<string> Links,
    string LeaderRegion,
    string ClientRegion,
    int NearestMajorityRttMs,
    double FsyncMs,
    int Ops,
    IReadOnlyList<GeoRow> Rows,
    IReadOnlyList<string> Notes);

/// <summary>
/// The geo section: a GeoLedger cluster and an etcd cluster, one member per region, every peer link and
/// every client connection delayed by half the regions' round trip (<see cref="DelayProxy"/>), measured
/// one after the other with one sequential client per row. etcd's leader is moved to the region
/// GeoLedger elected, so both commit through the same nearest majority.
/// </summary>
internal static class GeoRun
{
    /// <summary>Unmeasured requests before each row's measured ones, at the least (see <see cref="GeoRun.Warmup"/>).</summary>
    private const int MinWarmupOps = 10;

    public static async Task<GeoResult> RunAsync(IReadOnlyList<string> regions, int ops, TimeSpan warmup, DiskFloor? floor, string temp, Action<string> progress, CancellationToken token)
    {
        GeoLinks.Validate(regions);
        var w = new Warmup(warmup);
        var notes = new List<string>();
        floor ??= await DiskFloor.MeasureAsync(Path.Combine(temp, "geo-floor")).ConfigureAwait(false);
        var fsync = floor.OverwriteMs; // the log writes into preallocated segments
        var links = new List<string>();

        // GeoLedger first: where it elects its leader decides the rows' regions for both systems.
        var g = new Dictionary<string, GeoStats?>();
        string leaderRegion, clientRegion;
        var gOutput = new System.Collections.Concurrent.ConcurrentQueue<string>();
        await using (var cluster = GeoCluster.Start(Path.Combine(temp, "geo-geoledger"), regions, output: line =>
        {
            gOutput.Enqueue(line);
            while (gOutput.Count > 400)
                gOutput.TryDequeue(out _);
        }))
        {
            links.AddRange(cluster.DescribeLinks());
            try
            {
                var leader = await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(120)).ConfigureAwait(false);
                foreach (var node in cluster.Nodes.Nodes)
                    await node.WaitReadyAsync(cluster.Nodes.Http, TimeSpan.FromSeconds(120)).ConfigureAwait(false);
                leaderRegion = cluster.RegionOf(leader);
                var follower = cluster.Nodes.Nodes.Where(n => n != leader).OrderByDescending(n => GeoLinks.RttMs(cluster.RegionOf(n), leaderRegion)).First();
                clientRegion = cluster.RegionOf(follower);
                progress($"geo GeoLedger: leader {leader.Id}, client region {clientRegion} (follower {follower.Id}); {cluster.Nodes.Nodes.Count} nodes, Raft profile election {cluster.Profile.LowerElectionMs}-{cluster.Profile.UpperElectionMs} ms");
                if (cluster.RaftConnections == 0)
                    notes.Add("GeoLedger's nodes did not dial their peers through the proxies (this node build ignores Ledger:TestRaftVia): its Raft links were NOT delayed, so its rows are not geo numbers.");

                using var client = new GeoClient();
                var near = cluster.ClientUrl(leaderRegion, leader);
                var far = cluster.ClientUrl(clientRegion, follower);
                await WaitWritableAsync(() => client.PutGeoLedgerAsync(near, "geo-probe", u => u, token), token).ConfigureAwait(false);

                g["write-near"] = await MeasureAsync(ops, w, i => client.PutGeoLedgerAsync(near, $"geo-near-{i}", u => u, token), token).ConfigureAwait(false);
                g["write-far"] = await MeasureAsync(ops, w, i => client.PutGeoLedgerAsync(far, $"geo-far-{i}", u => cluster.ForClientIn(clientRegion, u), token), token).ConfigureAwait(false);
                g["read-linearizable"] = await MeasureAsync(ops, w, i => client.GetAsync(new Uri(far, $"v1/kv/geo-near-{i % ops}?consistency=linearizable"), token), token).ConfigureAwait(false);
                g["read-min-revision"] = await MinRevisionAsync(client, ops, w, far, u => cluster.ForClientIn(clientRegion, u), notes, token).ConfigureAwait(false);
                g["read-local"] = await MeasureAsync(ops, w, i => client.GetAsync(new Uri(far, $"v1/kv/geo-near-{i % ops}?consistency=local"), token), token).ConfigureAwait(false);
                notes.Add($"GeoLedger run: the emulated links released bytes at most {cluster.MaxLinkLateness.TotalMilliseconds:0.00} ms after their time (DelayProxy.MaxLateness).");
                await cluster.StopAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException or HttpRequestException)
            {
                throw new InvalidOperationException($"geo GeoLedger: {e.Message}\n--- last GeoLedger output ---\n{string.Join('\n', gOutput.TakeLast(40))}", e);
            }
        }

        var majority = GeoLinks.NearestMajorityRttMs(leaderRegion, regions);
        var e2 = new Dictionary<string, GeoStats?>();
        await using (var etcd = new GeoEtcd(Path.Combine(temp, "geo-etcd"), regions))
        {
            try
            {
                await etcd.StartAsync(token).ConfigureAwait(false);
                var leader = regions.ToList().IndexOf(leaderRegion);
                var follower = regions.ToList().IndexOf(clientRegion);
                await etcd.MoveLeaderAsync(leader, token).ConfigureAwait(false);
                progress($"geo etcd: leader etcd-{leaderRegion}, client region {clientRegion} (follower etcd-{clientRegion})");
                using var client = new GeoClient();
                var near = etcd.ClientUrl(leaderRegion, leader);
                var far = etcd.ClientUrl(clientRegion, follower);
                await WaitWritableAsync(async () => (await client.PutEtcdAsync(near, "geo-probe", token).ConfigureAwait(false)).Status, token).ConfigureAwait(false);

                e2["write-near"] = await MeasureAsync(ops, w, async i => (await client.PutEtcdAsync(near, $"geo-near-{i}", token).ConfigureAwait(false)).Status, token).ConfigureAwait(false);
                e2["write-far"] = await MeasureAsync(ops, w, async i => (await client.PutEtcdAsync(far, $"geo-far-{i}", token).ConfigureAwait(false)).Status, token).ConfigureAwait(false);
                e2["read-linearizable"] = await MeasureAsync(ops, w, i => client.RangeEtcdAsync(far, $"geo-near-{i % ops}", serializable: false, revision: null, token), token).ConfigureAwait(false);
                e2["read-min-revision"] = await EtcdAtRevisionAsync(client, ops, w, far, token).ConfigureAwait(false);
                e2["read-local"] = await MeasureAsync(ops, w, i => client.RangeEtcdAsync(far, $"geo-near-{i % ops}", serializable: true, revision: null, token), token).ConfigureAwait(false);
                notes.Add($"etcd run: the emulated links released bytes at most {etcd.MaxLinkLateness.TotalMilliseconds:0.00} ms after their time.");
                if (etcd.Unidentified > 0)
                    notes.Add($"etcd: {etcd.Unidentified} peer connections carried no X-PeerURLs (health probes, version checks) and went undelayed; every Raft message stream and pipeline request carries it.");
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException or HttpRequestException)
            {
                throw new InvalidOperationException($"geo etcd: {e.Message}\n--- last etcd output ---\n{etcd.Tail(40)}", e);
            }
        }

        var local = GeoLinks.RttMs(clientRegion, clientRegion);
        var toLeader = GeoLinks.RttMs(clientRegion, leaderRegion);
        var self = GeoLinks.RttMs(leaderRegion, leaderRegion);
        GeoRow Row(string id, string title, double? goal, string goalText, string? note = null) =>
            new(id, title, goal, goalText, g.GetValueOrDefault(id), e2.GetValueOrDefault(id), note);
        var rows = new List<GeoRow>
        {
            Row("write-near", $"PUT, client in {leaderRegion} (the leader's region)", self + majority + fsync, $"{self} client RTT + {majority} nearest majority + {fsync:0.00} fsync"),
            Row("write-far", $"PUT, client in {clientRegion} (GeoLedger: its node's 307 followed to the leader; etcd: its member forwards)", toLeader + majority + fsync, $"{toLeader} RTT to the leader + {majority} + {fsync:0.00}"),
            Row("read-linearizable", $"GET linearizable on the follower in {clientRegion}, client beside it", local + toLeader, $"{local} client RTT + {toLeader} read index from the leader"),
            Row("read-min-revision", $"GET after the client's own write through the follower in {clientRegion}, on that follower (GeoLedger ?minRevision=N; etcd serializable at revision N)", 2, "< 2 (issue 14's goal)",
                g.GetValueOrDefault("read-min-revision") is null ? "GeoLedger: skipped, see the notes" : null),
            Row("read-local", $"GET local on the follower in {clientRegion} (etcd serializable)", local, $"{local} client RTT"),
        };
        return new GeoResult(regions, links, leaderRegion, clientRegion, majority, fsync, ops, rows, notes);
    }

    // Each op: the client writes through the leader, then reads its write on the far follower; only the read is timed.
    // The client writes where it reads, as etcd's row does: through the follower in its region (307 followed to the leader).
    private static async Task<GeoStats?> MinRevisionAsync(GeoClient client, int ops, Warmup warmup, Uri far, Func<Uri, Uri> mapRedirect, List<string> notes, CancellationToken token)
    {
        var (status, revision) = await client.PutGeoLedgerWithRevisionAsync(far, "geo-rev-probe", token, mapRedirect).ConfigureAwait(false);
        if (status != 200 || revision is null)
        {
            notes.Add($"GeoLedger minRevision row skipped: the probe write answered {status}{(revision is null ? " without a revision" : "")}.");
            return null;
        }

        var probe = await client.GetAsync(new Uri(far, $"v1/kv/geo-rev-probe?minRevision={revision}"), token).ConfigureAwait(false);
        if (probe == 400)
        {
            notes.Add("GeoLedger minRevision row skipped: the node answered 400 to ?minRevision=N (that API is not on this build).");
            return null;
        }

        // A node that ignores the parameter answers a malformed one with 200 (a plain linearizable read): not the row's read.
        if (await client.GetAsync(new Uri(far, "v1/kv/geo-rev-probe?minRevision=not-a-number"), token).ConfigureAwait(false) is not (>= 400 and < 500))
        {
            notes.Add("GeoLedger minRevision row skipped: the node ignores ?minRevision (a malformed value is not refused), so that API is not on this build.");
            return null;
        }

        // Only the read is timed; a write that failed times nothing.
        return await MeasureTimedAsync(ops, warmup, async i =>
        {
            var (s, n) = await client.PutGeoLedgerWithRevisionAsync(far, $"geo-rev-{i}", token, mapRedirect).ConfigureAwait(false);
            if (s != 200 || n is null)
                return null;
            var clock = Stopwatch.StartNew();
            var read = await client.GetAsync(new Uri(far, $"v1/kv/geo-rev-{i}?minRevision={n}"), token).ConfigureAwait(false);
            return (read, clock.Elapsed);
        }, token).ConfigureAwait(false);
    }

    // etcd has no wait-for-revision read: a serializable read at the write's revision answers an error while the member is behind.
    private static async Task<GeoStats?> EtcdAtRevisionAsync(GeoClient client, int ops, Warmup warmup, Uri far, CancellationToken token)
    {
        return await MeasureTimedAsync(ops, warmup, async i =>
        {
            var (s, n) = await client.PutEtcdAsync(far, $"geo-rev-{i}", token).ConfigureAwait(false);
            if (s != 200 || n is null)
                return null;
            var clock = Stopwatch.StartNew();
            var read = await client.RangeEtcdAsync(far, $"geo-rev-{i}", serializable: true, revision: n, token).ConfigureAwait(false);
            return (read, clock.Elapsed);
        }, token).ConfigureAwait(false);
    }

    private static Task<GeoStats> MeasureAsync(int ops, Warmup warmup, Func<int, Task<int>> op, CancellationToken token) =>
        MeasureTimedAsync(ops, warmup, async i =>
        {
            var clock = Stopwatch.StartNew();
            var status = await op(i).ConfigureAwait(false);
            return (status, clock.Elapsed);
        }, token);

    /// <summary>
    /// Runs <paramref name="op"/> through the warm-up (unmeasured, numbered from <paramref name="ops"/> on), then
    /// <paramref name="ops"/> times (numbered 0 on), counting each status and time it reports (null: nothing to count).
    /// </summary>
    private static async Task<GeoStats> MeasureTimedAsync(int ops, Warmup warmup, Func<int, Task<(int Status, TimeSpan Elapsed)?>> op, CancellationToken token)
    {
        var since = Stopwatch.StartNew();
        for (var w = 0; !warmup.Done(w, since); w++)
        {
            token.ThrowIfCancellationRequested();
            await op(ops + w).ConfigureAwait(false);
        }

        var latencies = new List<double>();
        var failures = new Dictionary<string, int>();
        for (var i = 0; i < ops; i++)
        {
            token.ThrowIfCancellationRequested();
            if (await op(i).ConfigureAwait(false) is { } timed)
                Count(timed.Status, timed.Elapsed, latencies, failures);
        }

        return Stats(latencies, failures);
    }

    /// <summary>
    /// A row's warm-up, the same for both systems: unmeasured requests for at least the benchmark's warm-up time
    /// (<c>--warmup</c>, as the local rows have) and at least <see cref="MinWarmupOps"/> of them. A fresh node's
    /// first tens of requests run code the JIT has not optimized yet; a row that started after 10 requests
    /// measured that in its p99.
    /// </summary>
    private readonly record struct Warmup(TimeSpan Time)
    {
        public bool Done(int sent, Stopwatch since) => sent >= MinWarmupOps && since.Elapsed >= Time;
    }

    private static void Count(int status, TimeSpan elapsed, List<double> latencies, Dictionary<string, int> failures)
    {
        if (status is >= 200 and < 300)
            latencies.Add(elapsed.TotalMilliseconds);
        else
            failures[status.ToString(CultureInfo.InvariantCulture)] = failures.GetValueOrDefault(status.ToString(CultureInfo.InvariantCulture)) + 1;
    }

    private static GeoStats Stats(List<double> latencies, Dictionary<string, int> failures)
    {
        latencies.Sort();
        double P(double p) => latencies.Count == 0 ? double.NaN : Math.Round(latencies[Math.Clamp((int)Math.Ceiling(p * latencies.Count) - 1, 0, latencies.Count - 1)], 2);
        return new GeoStats(latencies.Count, failures.Values.Sum(), P(0.50), P(0.99), failures);
    }

    private static async Task WaitWritableAsync(Func<Task<int>> write, CancellationToken token)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (await write().ConfigureAwait(false) == 200)
                return;
            await Task.Delay(100, token).ConfigureAwait(false);
        }

        throw new TimeoutException("no write succeeded within 60 s of electing a leader");
    }

    /// <summary>One sequential client: keep-alive connections, redirects followed by hand (so they can be mapped to a region's proxy).</summary>
    private sealed class GeoClient : IDisposable
    {
        private static readonly byte[] Value = Encoding.UTF8.GetBytes("{\"value\":\"" + new string('v', 62) + "\"}");
        private readonly HttpClient http = new(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false, MaxConnectionsPerServer = 1 }) { Timeout = TimeSpan.FromSeconds(10) };

        public async Task<int> PutGeoLedgerAsync(Uri member, string key, Func<Uri, Uri> mapRedirect, CancellationToken token) =>
            (await PutGeoLedgerWithRevisionAsync(member, key, token, mapRedirect).ConfigureAwait(false)).Status;

        /// <summary>PUT, following up to 3 redirects through <paramref name="mapRedirect"/>; the revision from X-GeoLedger-Revision, else the body.</summary>
        public async Task<(int Status, long? Revision)> PutGeoLedgerWithRevisionAsync(Uri member, string key, CancellationToken token, Func<Uri, Uri>? mapRedirect = null)
        {
            var uri = new Uri(member, "v1/kv/" + key);
            for (var hop = 0; ; hop++)
            {
                try
                {
                    using var content = new ByteArrayContent(Value) { Headers = { ContentType = new("application/json") } };
                    using var response = await http.PutAsync(uri, content, token).ConfigureAwait(false);
                    var status = (int)response.StatusCode;
                    if (status == 307 && hop < 3 && response.Headers.Location is { } location)
                    {
                        uri = (mapRedirect ?? (u => u))(location.IsAbsoluteUri ? location : new Uri(uri, location));
                        continue;
                    }

                    var body = await response.Content.ReadAsByteArrayAsync(token).ConfigureAwait(false);
                    if (status != 200)
                        return (status, null);
                    if (response.Headers.TryGetValues("X-GeoLedger-Revision", out var values) && long.TryParse(values.FirstOrDefault(), out var header))
                        return (status, header);
                    using var doc = JsonDocument.Parse(body);
                    return (status, doc.RootElement.TryGetProperty("revision", out var r) ? r.GetInt64() : null);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !token.IsCancellationRequested)
                {
                    return (0, null);
                }
            }
        }

        public async Task<int> GetAsync(Uri uri, CancellationToken token)
        {
            try
            {
                using var response = await http.GetAsync(uri, token).ConfigureAwait(false);
                await response.Content.ReadAsByteArrayAsync(token).ConfigureAwait(false);
                return (int)response.StatusCode;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !token.IsCancellationRequested)
            {
                return 0;
            }
        }

        public async Task<(int Status, long? Revision)> PutEtcdAsync(Uri member, string key, CancellationToken token)
        {
            var (status, doc) = await PostAsync(new Uri(member, "v3/kv/put"), new { key = B64(key), value = B64("\"" + new string('v', 62) + "\"") }, token).ConfigureAwait(false);
            return (status, doc is { } d && d.TryGetProperty("header", out var h) && h.TryGetProperty("revision", out var r) && long.TryParse(r.GetString(), out var n) ? n : null);
        }

        public async Task<int> RangeEtcdAsync(Uri member, string key, bool serializable, long? revision, CancellationToken token)
        {
            object body = revision is { } n
                ? new { key = B64(key), serializable, revision = n.ToString(CultureInfo.InvariantCulture) }
                : new { key = B64(key), serializable };
            return (await PostAsync(new Uri(member, "v3/kv/range"), body, token).ConfigureAwait(false)).Status;
        }

        public void Dispose() => http.Dispose();

        private async Task<(int Status, JsonElement? Doc)> PostAsync(Uri uri, object body, CancellationToken token)
        {
            try
            {
                using var response = await http.PostAsync(uri, JsonContent.Create(body), token).ConfigureAwait(false);
                var text = await response.Content.ReadAsStringAsync(token).ConfigureAwait(false);
                var status = (int)response.StatusCode;
                return status == 200 ? (status, JsonDocument.Parse(text).RootElement.Clone()) : (status, null);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException && !token.IsCancellationRequested)
            {
                return (0, null);
            }
        }

        private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
    }
}
