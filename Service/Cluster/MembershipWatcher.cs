using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using Microsoft.AspNetCore.Connections;

namespace GeoLedger.Cluster;

/// <summary>
/// Keeps this node's idea of the membership current: names members added at runtime (asking each one that
/// <see cref="MemberDirectory"/> cannot name), and notices when this node is no longer a voting member,
/// either because it applied a configuration without itself or, when it hears no leader, because another
/// member holds a configuration at least as new that leaves it out (a removed member is not sent the commit
/// of its own removal). A removed node stops serving clients (<see cref="RemovedNodeMiddleware"/>); .NEXT's
/// pre-vote, which members grant only to members, keeps it from disturbing elections.
/// </summary>
public sealed class MembershipWatcher : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(2);

    private readonly IRaftCluster cluster;
    private readonly MemberListStorage storage;
    private readonly MemberDirectory directory;
    private readonly NodeTopology topology;
    private readonly ILogger<MembershipWatcher> logger;
    private readonly HttpClient http;
    private readonly TimeSpan leaderlessBeforeAsking;
    private volatile StoredList stored;
    private volatile string? removedBecause;
    private long leaderlessSince = long.MaxValue; // Environment.TickCount64 when no leader was first seen, or MaxValue

    /// <summary>Watches <paramref name="cluster"/>'s membership as <paramref name="storage"/> records it.</summary>
    public MembershipWatcher(IRaftCluster cluster, MemberListStorage storage, MemberDirectory directory, NodeTopology topology, IHttpMessageHandlerFactory handlers, ILogger<MembershipWatcher> logger, Microsoft.Extensions.Options.IOptions<DotNext.Net.Cluster.Consensus.Raft.Http.HttpClusterMemberConfiguration> raft)
    {
        this.cluster = cluster;
        this.storage = storage;
        this.directory = directory;
        this.topology = topology;
        this.logger = logger;
        http = new HttpClient(handlers.CreateHandler(RaftHttpHandlerFactory.Name), disposeHandler: true) { Timeout = AskTimeout };
        leaderlessBeforeAsking = TimeSpan.FromMilliseconds(3 * raft.Value.UpperElectionTimeout);
        var (members, version) = storage.ReadAsync().AsTask().GetAwaiter().GetResult();
        stored = new StoredList(members, version);
        storage.ConfigurationChanged += OnConfigurationChanged;
    }

    /// <summary>Why this node is not a voting member (a sentence), or null while it is one.</summary>
    public string? RemovedBecause => IncludesSelf(stored.Members) ? removedBecause : $"it applied the member list of version {stored.Version}, which leaves it out";

    /// <summary>The version of the member list this node has stored.</summary>
    public long Version => stored.Version;

    /// <inheritdoc/>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Tick);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await DescribeNewMembersAsync(stoppingToken).ConfigureAwait(false);
                await CheckStillMemberAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <inheritdoc/>
    public override void Dispose()
    {
        storage.ConfigurationChanged -= OnConfigurationChanged;
        http.Dispose();
        base.Dispose();
    }

    private ValueTask OnConfigurationChanged(IClusterConfiguration<UriEndPoint> configuration, CancellationToken token)
    {
        // Called by .NEXT inside the storage's write lock, from the applier: reading the file here would wait for that
        // lock forever and stop every apply. The version comes from the file, read once the lock is released.
        _ = Task.Run(() => RefreshAsync(CancellationToken.None).AsTask(), CancellationToken.None);
        return ValueTask.CompletedTask;

        async ValueTask RefreshAsync(CancellationToken t)
        {
            var (members, version) = await storage.ReadAsync(t).ConfigureAwait(false);
            var before = stored;
            stored = new StoredList(members, version);
            LogMessages.MemberListStored(logger, version, string.Join(", ", members.Select(m => directory.Find(m)?.Id ?? m.AbsoluteUri)));
            if (IncludesSelf(before.Members) && !IncludesSelf(members))
                LogMessages.NodeRemoved(logger, topology.Self.Id, $"it applied the member list of version {version}, which leaves it out");
            if (IncludesSelf(members))
                removedBecause = null;
        }
    }

    private async Task DescribeNewMembersAsync(CancellationToken token)
    {
        foreach (var member in cluster.Members)
        {
            if (member.EndPoint is not UriEndPoint uri || directory.Find(uri.Uri) is not null)
                continue;
            try
            {
                var info = await MemberInfo.AskAsync(http, uri.Uri, token).ConfigureAwait(false);
                if (NodeConfigLoader.SameEndpoint(info.Self.Raft, uri.Uri))
                    directory.Learn(info.Self);
            }
            catch (Exception e) when (e is HttpRequestException or System.Text.Json.JsonException or UriFormatException or KeyNotFoundException or InvalidOperationException or TaskCanceledException)
            {
                // asked again on the next tick
            }
        }
    }

    private async Task CheckStillMemberAsync(CancellationToken token)
    {
        if (cluster.Leader is not null)
        {
            Interlocked.Exchange(ref leaderlessSince, long.MaxValue);
            if (removedBecause is not null && IncludesSelf(stored.Members))
                removedBecause = null; // a leader replicates to this node: it is a member again (or a learner being added)
            return;
        }

        var now = Environment.TickCount64;
        var since = Interlocked.CompareExchange(ref leaderlessSince, now, long.MaxValue);
        if (since == long.MaxValue || now - since < leaderlessBeforeAsking.TotalMilliseconds || removedBecause is not null || !IncludesSelf(stored.Members))
            return;

        var mine = stored;
        foreach (var other in mine.Members.Where(m => !NodeConfigLoader.SameEndpoint(m, topology.Self.Raft)))
        {
            try
            {
                var info = await MemberInfo.AskAsync(http, other, token).ConfigureAwait(false);
                if (info.Version >= mine.Version && !IncludesSelf(info.Members))
                {
                    removedBecause = $"member {info.Self.Id} holds the member list of version {info.Version}, which leaves it out";
                    LogMessages.NodeRemoved(logger, topology.Self.Id, removedBecause);
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or System.Text.Json.JsonException or UriFormatException or KeyNotFoundException or InvalidOperationException or TaskCanceledException)
            {
                // that member is down or not upgraded; the others may answer
            }
        }

        Interlocked.Exchange(ref leaderlessSince, Environment.TickCount64); // ask again after another leaderless while
    }

    private bool IncludesSelf(IReadOnlyList<Uri> members) => members.Any(m => NodeConfigLoader.SameEndpoint(m, topology.Self.Raft));

    private sealed record StoredList(IReadOnlyList<Uri> Members, long Version);
}
