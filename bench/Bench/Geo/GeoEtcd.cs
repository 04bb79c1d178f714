using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using GeoLedger.LocalCluster;
using GeoLedger.LocalCluster.Geo;

namespace GeoLedger.Bench.Geo;

/// <summary>
/// etcd (defaults, as in <see cref="EtcdSystem"/>) with one member per region, every peer link through a
/// <see cref="DelayProxy"/>: each member listens on its own peer port and advertises a proxy in front of
/// it (<c>--initial-cluster</c> names the proxies). etcd names a member by its advertised URLs, so every
/// sender dials the same proxy; the proxy tells senders apart by the <c>X-PeerURLs</c> header etcd puts
/// on every peer request and delays the connection by half the round trip between the two regions.
/// Clients reach members through per-region client proxies, as with GeoLedger.
/// </summary>
internal sealed class GeoEtcd(string root, IReadOnlyList<string> regions) : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> output = new();
    private readonly List<DelayProxy> proxies = [];
    private readonly Dictionary<(string Region, int Member), DelayProxy> clientProxies = [];
    private readonly HttpClient http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
    private readonly List<Process> processes = [];
    private Member[] members = [];
    private int unidentified;

    /// <summary>The members' regions, in member order.</summary>
    public IReadOnlyList<string> Regions => regions;

    /// <summary>Peer connections whose sender the proxy could not tell (etcd's health probes carry no <c>X-PeerURLs</c>); they got no delay.</summary>
    public int Unidentified => unidentified;

    /// <summary>OS process ids of the members.</summary>
    public IReadOnlyList<int> Pids => processes.Where(p => !p.HasExited).Select(p => p.Id).ToList();

    public async Task StartAsync(CancellationToken token)
    {
        if (Directory.Exists(root))
            Directory.Delete(root, recursive: true);
        Directory.CreateDirectory(root);
        members = regions.Select((region, i) => new Member(
            $"etcd-{region}", region, PortAllocator.Next(), PortAllocator.Next(), Path.Combine(root, $"etcd-{i}"))).ToArray();

        // One proxy in front of each member's peer port; who is calling decides the delay.
        var fronts = new DelayProxy[members.Length];
        for (var i = 0; i < members.Length; i++)
        {
            var to = members[i];
            fronts[i] = DelayProxy.StartSniffing(new IPEndPoint(IPAddress.Loopback, to.PeerPort), head => DelayFor(head, to.Region, fronts), TimeSpan.Zero);
            proxies.Add(fronts[i]);
        }

        for (var r = 0; r < regions.Count; r++)
        {
            for (var i = 0; i < members.Length; i++)
            {
                var proxy = DelayProxy.Start(new IPEndPoint(IPAddress.Loopback, members[i].ClientPort), GeoLinks.OneWay(regions[r], members[i].Region));
                proxies.Add(proxy);
                clientProxies[(regions[r], i)] = proxy;
            }
        }

        var cluster = string.Join(',', members.Select((m, i) => $"{m.Name}=http://127.0.0.1:{fronts[i].Port}"));
        for (var i = 0; i < members.Length; i++)
            processes.Add(Launch(members[i], $"http://127.0.0.1:{fronts[i].Port}", cluster));

        await LeaderAsync(token).ConfigureAwait(false);
    }

    /// <summary>The URL a client in <paramref name="clientRegion"/> uses for member <paramref name="member"/>.</summary>
    public Uri ClientUrl(string clientRegion, int member) => clientProxies[(clientRegion, member)].Url;

    /// <summary>The most any proxy of this cluster released bytes after their time (see <see cref="DelayProxy.MaxLateness"/>).</summary>
    public TimeSpan MaxLinkLateness => proxies.Max(p => p.MaxLateness);

    /// <summary>Index of the leader every member names.</summary>
    public async Task<int> LeaderAsync(CancellationToken token)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var statuses = new List<(int Index, string Self, string? Leader)>();
            for (var i = 0; i < members.Length; i++)
            {
                if (await StatusAsync(i, token).ConfigureAwait(false) is { } s)
                    statuses.Add((i, s.Self, s.Leader));
            }

            if (statuses.Count == members.Length && statuses.Select(s => s.Leader).Distinct().Count() == 1
                && statuses.FirstOrDefault(s => s.Self == statuses[0].Leader) is { Self: not null } leader)
                return leader.Index;
            await Task.Delay(50, token).ConfigureAwait(false);
        }

        throw new TimeoutException("the etcd members did not agree on a leader within 60 s:\n" + Tail(20));
    }

    /// <summary>Moves leadership to member <paramref name="index"/> (etcd's transfer-leadership) and waits until all members name it.</summary>
    public async Task MoveLeaderAsync(int index, CancellationToken token)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var leader = await LeaderAsync(token).ConfigureAwait(false);
            if (leader == index)
                return;
            var target = (await StatusAsync(index, token).ConfigureAwait(false))?.Self ?? throw new InvalidOperationException($"etcd member {index} does not answer");
            using var response = await http.PostAsync(new Uri(Direct(leader), "v3/maintenance/transfer-leadership"), JsonContent.Create(new { targetID = target }), token).ConfigureAwait(false);
            await Task.Delay(500, token).ConfigureAwait(false);
        }

        throw new InvalidOperationException($"etcd did not move its leader to member {index}:\n" + Tail(20));
    }

    public string Tail(int lines) => string.Join('\n', output.Skip(Math.Max(0, output.Count - lines)));

    public async ValueTask DisposeAsync()
    {
        foreach (var process in processes)
        {
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync().ConfigureAwait(false);
            }

            process.Dispose();
        }

        foreach (var proxy in proxies)
            await proxy.DisposeAsync().ConfigureAwait(false);
        http.Dispose();
        if (Directory.Exists(root))
            Directory.Delete(root, recursive: true);
    }

    // X-PeerURLs names the sender's advertised URL, which is the front proxy of its member.
    private TimeSpan DelayFor(string head, string toRegion, DelayProxy[] fronts)
    {
        foreach (var line in head.Split("\r\n"))
        {
            if (!line.StartsWith("X-PeerURLs:", StringComparison.OrdinalIgnoreCase))
                continue;
            var url = line["X-PeerURLs:".Length..].Trim().Split(',')[0];
            if (Uri.TryCreate(url, UriKind.Absolute, out var from) && Array.FindIndex(fronts, f => f is not null && f.Port == from.Port) is var i and >= 0)
                return GeoLinks.OneWay(members[i].Region, toRegion);
        }

        Interlocked.Increment(ref unidentified);
        return TimeSpan.Zero;
    }

    private Uri Direct(int index) => new($"http://127.0.0.1:{members[index].ClientPort}/");

    private Task<EtcdStatus?> StatusAsync(int index, CancellationToken token) => EtcdProcess.StatusAsync(http, Direct(index), token);

    private Process Launch(Member m, string advertisedPeer, string cluster) =>
        EtcdProcess.Start(m.Name, m.DataDirectory, $"http://127.0.0.1:{m.ClientPort}", $"http://127.0.0.1:{m.PeerPort}", advertisedPeer, cluster, output);

    private sealed record Member(string Name, string Region, int ClientPort, int PeerPort, string DataDirectory);
}
