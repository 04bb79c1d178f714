using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Http;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using GeoLedger.Api;
using GeoLedger.Auth;
using GeoLedger.Backup;
using GeoLedger.Cluster;
using GeoLedger.Health;
using GeoLedger.Ledger;
using GeoLedger.Ledger.Watch;
using GeoLedger.OpenApi;
using GeoLedger.StatusPage;
using GeoLedger.Storage;
using GeoLedger.Telemetry;
using GeoLedger.Tls;
using GeoLedger.Watch;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

namespace GeoLedger;

/// <summary>Wires one GeoLedger node: settings, sockets, Raft, storage, API.</summary>
public static class LedgerNode
{
    /// <summary>
    /// The largest cluster a node accepts. The commit rule (<see cref="LedgerLog"/>) is right for any size;
    /// beyond 7 every write waits for more copies than geo-redundancy needs.
    /// </summary>
    public const int MaxMembers = 7;

    /// <summary>
    /// Raft timing for nodes on one site (loopback or one region). A narrow election range matters
    /// more than a low one: .NEXT's followers refuse a pre-vote until their own timeout has passed,
    /// so with a wide range the first candidate waits for the slowest follower. 250-350 ms with
    /// 50 ms heartbeats gave 445-590 ms from leader SIGKILL to the next write (200-600 ms gave
    /// 400-1340 ms). The rpc and request timeouts are long enough for a follower far behind to take
    /// a large batch or snapshot chunk in one call; votes have their own short deadline
    /// (<see cref="RaftRequestHandler"/>).
    /// </summary>
    private static readonly Dictionary<string, string?> LocalRaftDefaults = new()
    {
        ["lowerElectionTimeout"] = "250",
        ["upperElectionTimeout"] = "350",
        ["heartbeatThreshold"] = "0.2",
        ["rpcTimeout"] = "00:00:01",
        ["requestTimeout"] = "00:00:05",
        ["warmupRounds"] = "1000", // a new member's catch-up: each round carries at most 1 MiB (LedgerLogOptions.ReplicationBatchBytes)
    };

    /// <summary>Registers everything a node needs and binds its sockets.</summary>
    /// <exception cref="NodeConfigException">The node config or command line is invalid.</exception>
    /// <exception cref="InvalidOperationException">A setting is invalid; the message names it.</exception>
    public static WebApplicationBuilder AddLedgerNode(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection("Ledger").Get<LedgerOptions>() ?? new LedgerOptions();
        Validate(options);
        var caps = builder.AddNodeLimits();
        var topology = NodeTopology.Resolve(builder.Configuration, options);
        var self = topology.Self;
        if (topology.Config.Members.Count > MaxMembers)
            throw new InvalidOperationException(
                $"the node config lists {topology.Config.Members.Count} members; GeoLedger takes 1 to {MaxMembers} (odd sizes recommended: 3, 5 or 7)");
        if (string.IsNullOrEmpty(options.ClusterSecret) && topology.Config.Members.Any(m => NodeTopology.LoopbackAddress(m.Raft) is null))
            throw new InvalidOperationException("Ledger:ClusterSecret is required: some member's Raft endpoint is not on loopback, and Raft must not be open to anyone who can reach the port");

        var dataDirectory = Path.GetFullPath(options.DataDirectory ?? Path.Combine(builder.Environment.ContentRootPath, ".data", self.Id));
        options.DataDirectory = dataDirectory;
        var dataLock = DataDirectoryLock.Acquire(dataDirectory);

        builder.Services.AddSingleton(_ => dataLock); // a factory, so that the container disposes it with the node
        builder.Services.AddSingleton(topology);
        builder.Services.AddSingleton(Options.Create(options));
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(new ClusterSecret(options.ClusterSecret));
        builder.Services.AddLedgerAuthentication(new ApiTokens(options));
        builder.Services.AddSingleton<ClientHosts>();
        builder.Services.AddLedgerHealthChecks();
        builder.Services.AddLedgerOpenApi();
        builder.Services.AddStatusPage(topology);
        builder.Services.AddSingleton(_ => new LedgerStore { History = new ChangeHistory(options.WatchHistoryChanges, options.WatchHistoryBytes) });
        builder.Services.AddSingleton(sp => new LedgerStateMachine(sp.GetRequiredService<LedgerStore>(), sp.GetRequiredService<ILogger<LedgerStateMachine>>())
        {
            ApplyDelay = TimeSpan.FromMilliseconds(options.TestApplyDelayMs),
            FollowerApplyDelay = TimeSpan.FromMilliseconds(options.TestFollowerApplyDelayMs),
        });

        // GeoLedger's own log stands in for .NEXT's: registered under the interfaces .NEXT resolves, never as WriteAheadLog.
        builder.Services.AddSingleton(sp => new LedgerLog(
            new LedgerLogOptions
            {
                DataDirectory = dataDirectory,
                SnapshotInterval = options.SnapshotInterval,
                CatchUpEntries = options.SnapshotCatchUpEntries,
                FlushBeforeAcknowledging = !options.TestAcknowledgeBeforeFlush,
                MajorityCommitRule = !options.TestDotNextCommitRule,
                FollowerAppendDelay = TimeSpan.FromMilliseconds(options.TestAppendDelayMs),
                FirstSnapshotAnswerDelay = TimeSpan.FromMilliseconds(options.TestSnapshotAnswerDelayMs),
                OneEntryPerRequestTo = topology.Config.Members
                    .Where(m => (options.TestOneEntryPerRequestTo ?? "").Split(',').Contains(m.Id))
                    .Select(m => ReplicationProbe.MemberKey(m.Raft))
                    .ToHashSet(),
                Segments = new SegmentedLogOptions
                {
                    SegmentBytes = options.SegmentBytes,
                    FlushDelay = options.TestAcknowledgeBeforeFlush ? TimeSpan.FromMilliseconds(100) : TimeSpan.Zero,
                },
            },
            sp.GetRequiredService<LedgerStateMachine>(),
            sp.GetRequiredService<ILogger<LedgerLog>>())
        {
            Self = ReplicationProbe.MemberKey(self.Raft),
            FlushTimed = sp.GetRequiredService<LedgerMetrics>().LogFlushed,
            SnapshotPublished = sp.GetRequiredService<LedgerMetrics>().SnapshotWritten,
            Applied = () => sp.GetRequiredService<LedgerMetrics>().StoreSize(sp.GetRequiredService<LedgerStore>().Count, sp.GetRequiredService<LedgerStore>().LiveBytes),
        });
        builder.Services.AddSingleton(new DiskSpace(dataDirectory, options.MinFreeDiskBytes));
        builder.Services.AddSingleton<IPersistentState>(sp => sp.GetRequiredService<LedgerLog>());
        builder.Services.AddSingleton<IAuditTrail<IRaftLogEntry>>(sp => sp.GetRequiredService<LedgerLog>());
        builder.Services.AddSingleton(sp => OpenMemberList(dataDirectory, topology, sp.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(LedgerNode))));
        builder.Services.AddSingleton<IClusterConfigurationStorage<UriEndPoint>>(sp => sp.GetRequiredService<MemberListStorage>());
        builder.Services.AddSingleton(_ => new MemberDirectory(dataDirectory, topology.Config));
        builder.Services.AddSingleton<MembershipWatcher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<MembershipWatcher>());
        builder.Services.AddSingleton<MembershipChanges>();
        builder.Services.AddSingleton<MembershipWitness>();

        // Defaults first, then the Raft section (so any Raft:* setting wins), then what GeoLedger fixes.
        var raftSection = new ConfigurationBuilder().AddInMemoryCollection(LocalRaftDefaults).AddConfiguration(builder.Configuration.GetSection("Raft")).Build();
        builder.Services.ConfigureLocalNode(raftSection);
        builder.Services.PostConfigure<HttpClusterMemberConfiguration>(c =>
        {
            c.PublicEndPoint = self.Raft;
            c.ColdStart = false; // the stored member list (seeded from the node config) is complete: nobody bootstraps alone
            c.ClientHandlerName = RaftHttpHandlerFactory.Name;
        });
        builder.Services.AddSingleton(RaftVia.Parse(options.TestRaftVia));
        builder.Services.AddSingleton<IHttpMessageHandlerFactory>(sp =>
        {
            // A vote must fail well inside the candidate timeout (the election timeout) for a frozen member not to stall elections.
            var lowerElectionTimeout = TimeSpan.FromMilliseconds(sp.GetRequiredService<IOptions<HttpClusterMemberConfiguration>>().Value.LowerElectionTimeout);
            return new RaftTrafficObserver(new RaftHttpHandlerFactory(sp.GetRequiredService<ClusterSecret>(), lowerElectionTimeout, lowerElectionTimeout / 3, sp.GetRequiredService<RaftVia>()), topology.Config, sp.GetRequiredService<LedgerMetrics>());
        });

        builder.Services.AddSingleton(sp =>
        {
            var raft = sp.GetRequiredService<IOptions<HttpClusterMemberConfiguration>>().Value;
            return LeaderSuspicion.ForHeartbeat(TimeSpan.FromMilliseconds(raft.LowerElectionTimeout * raft.HeartbeatThreshold));
        });
        builder.Services.AddSingleton<ClusterView>();
        builder.Services.AddSingleton<LedgerWriter>();
        builder.Services.AddSingleton<ReadIndex>();
        if (options.ReadIndexDatagrams || options.AckDatagrams)
            builder.Services.AddHostedService(sp => RaftDatagrams(sp, options, topology));
        if (options.AckDatagrams)
        {
            builder.Services.AddSingleton(sp => new AckDatagramSender(
                AckDatagram.Key(sp.GetRequiredService<ClusterSecret>()),
                ReplicationProbe.MemberKey(topology.Self.Raft),
                new LeaderDatagramEndpoint(sp.GetRequiredService<IRaftCluster>(), sp.GetRequiredService<RaftVia>()).Current));
        }

        builder.Services.AddSingleton<CommitNotices>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CommitNotices>());
        builder.Services.AddSingleton<EntryPush>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EntryPush>());
        builder.Services.AddSingleton<ReadGate>();
        builder.Services.AddSingleton<BlockingReads>();
        builder.Services.AddSingleton<LeaderPreferenceHold>();
        builder.Services.AddSingleton<LeaderPreference>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LeaderPreference>());
        builder.Services.AddProblemDetails();

        // https from a reloaded PEM file (ACME) when Ledger:TlsCertificateFile is set.
        var certificates = CertificateReloader.FromSetting(options.TlsCertificateFile);
        if (certificates is not null)
        {
            builder.Services.AddSingleton(certificates);
            builder.Services.AddHostedService<CertificateReloadService>();
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            foreach (var endpoint in topology.Client)
            {
                kestrel.Listen(endpoint.Address, endpoint.Port, listen =>
                {
                    caps.Client.Guard(listen); // before TLS: an evicted connection costs no handshake
                    if (endpoint.Https)
                        listen.UseLedgerHttps(certificates);
                });
            }

            kestrel.Listen(topology.Raft.Address, topology.Raft.Port, caps.Raft.Guard); // its own cap: clients never take Raft's connections
        });
        builder.AddLedgerTelemetry();
        return builder;
    }

    /// <summary>
    /// Opens the log (restoring the newest snapshot and recovering the entries after it) here, where
    /// startup failures are reported, rather than when the Raft cluster first resolves it.
    /// </summary>
    /// <exception cref="SnapshotCorruptedException">The newest snapshot failed its checks.</exception>
    /// <exception cref="LogDamagedException">The log failed its checks.</exception>
    /// <exception cref="WriteAheadLogDamagedException">.NEXT's files (term and vote, or a log of the previous format) cannot be opened.</exception>
    public static Task RestoreLedgerStateAsync(this WebApplication app)
    {
        // Resolved before the log and the state machine, so that the container disposes it after them.
        app.Services.GetRequiredService<DataDirectoryLock>();
        var topology = app.Services.GetRequiredService<NodeTopology>();
        var options = app.Services.GetRequiredService<LedgerOptions>();
        var log = OpenLedgerLog(app, options.DataDirectory!);
        var cluster = new Lazy<IRaftCluster>(app.Services.GetRequiredService<IRaftCluster>);
        IReadOnlyCollection<IRaftClusterMember>? known = null;
        IReadOnlyList<string?> keys = [];
        log.Members = () =>
        {
            // .NEXT hands out a new collection when the membership changes.
            var members = cluster.Value.Members;
            if (!ReferenceEquals(members, known))
            {
                keys = members.Select(m => m.EndPoint is UriEndPoint uri ? ReplicationProbe.MemberKey(uri.Uri) : null).ToList();
                known = members;
                log.ForgetAcknowledgementsOfOthers(keys); // a member removed and added back empty must not count with its old copy
            }

            return keys;
        };
        if (options.AckDatagrams)
            log.DurableForLeader = app.Services.GetRequiredService<AckDatagramSender>().Send;
        LogMessages.NodeStarting(app.Logger, topology.Self.Id, topology.Self.Public, topology.Self.Raft, topology.Config.Members.Count, options.DataDirectory!);
        if (app.Services.GetRequiredService<ApiTokens>().IsOff)
            LogMessages.AuthenticationOff(app.Logger);
        return Task.CompletedTask;
    }

    // The Raft port's datagram server with the handlers the options allow.
    private static RaftDatagramServer RaftDatagrams(IServiceProvider sp, LedgerOptions options, NodeTopology topology)
    {
        var secret = sp.GetRequiredService<ClusterSecret>();
        var handlers = new RaftDatagramHandlers
        {
            ReadIndexKey = ReadIndexDatagram.Key(secret),
            Answer = options.ReadIndexDatagrams
                ? (term, asker) => ReadIndex.AnswerDatagram(sp.GetRequiredService<ClusterView>(), sp.GetRequiredService<LedgerLog>(), sp.GetRequiredService<MembershipWitness>(), term, asker)
                : null,
            AckKey = AckDatagram.Key(secret),
            Acknowledge = options.AckDatagrams ? (term, index, member) => CountAckDatagram(sp, member, term, index) : null,
        };
        return new RaftDatagramServer(new System.Net.IPEndPoint(topology.Raft.Address, topology.Raft.Port), handlers, sp.GetRequiredService<ILogger<RaftDatagramServer>>());
    }

    private static void CountAckDatagram(IServiceProvider services, string member, long term, long index)
    {
        if (services.GetRequiredService<LedgerLog>().RecordAckDatagram(member, term, index))
            services.GetRequiredService<LedgerMetrics>().AckDatagramCounted();
    }

    /// <summary>
    /// Splits the two ports: the Raft port serves only .NEXT's protocol (behind the cluster secret),
    /// the client port serves only the API.
    /// </summary>
    public static WebApplication UseLedgerNode(this WebApplication app)
    {
        var raftPort = app.Services.GetRequiredService<NodeTopology>().Raft.Port;
        var view = app.Services.GetRequiredService<ClusterView>();
        view.Raft.LeaderChanged += (_, leader) => LogMessages.LeaderChanged(app.Logger, view.Leader?.Id ?? (leader is null ? "none" : "unknown"));
        app.UseConnectionCaps();

        app.MapWhen(context => ClientPipeline.IsRaftPort(context, raftPort), raft =>
        {
            raft.UseMiddleware<ClusterSecretMiddleware>();
            raft.Map(ReadIndex.Path, readIndex => readIndex.Run(ReadIndex.ServeAsync));
            raft.Map(CommitNotices.Path, notice => notice.Run(CommitNotices.ServeAsync));
            raft.Map(EntryPush.Path, push => push.Run(EntryPush.ServeAsync));
            raft.Map(LeaderPreferenceHold.Path, hold => hold.Run(LeaderPreferenceHold.ServeAsync));
            raft.Map(MemberInfo.Path, info => info.Run(MemberInfo.ServeAsync));
            raft.UseMiddleware<LeaderSuspicionMiddleware>();
            raft.UseConsensusProtocolHandler();
            raft.Run(context =>
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            });
        });

        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseClientPipeline();
        app.UseMiddleware<RemovedNodeMiddleware>();
        app.UseAdmissionControl();
        app.MapKvApi();
        app.MapTxnApi();
        app.MapBackupApi();
        app.MapWatchApi();
        app.MapClusterApi();
        app.MapArticleApi();
        app.MapLedgerHealthChecks();
        app.UseLedgerTelemetry();
        app.MapLedgerOpenApi();
        return app;
    }

    /// <summary>
    /// Opens the stored member list, seeding it from the node config on the first start; says so when the node
    /// config lists other members than the stored list, which wins (membership changes made at runtime live there).
    /// </summary>
    private static MemberListStorage OpenMemberList(string dataDirectory, NodeTopology topology, ILogger logger)
    {
        var configured = topology.Config.Members.Select(m => m.Raft).ToList();
        var (storage, seeded, stored, version) = MemberListStorage.Open(dataDirectory, configured);
        string Names(IEnumerable<Uri> members) => string.Join(", ", members.Select(m => topology.Config.FindByRaft(m)?.Id ?? m.AbsoluteUri).Order(StringComparer.Ordinal));
        if (seeded)
            LogMessages.MemberListSeeded(logger, Path.Combine(dataDirectory, MemberListStorage.FileName), Names(stored));
        else if (Names(stored) != Names(configured))
            LogMessages.MemberListDiffers(logger, Names(configured), version, Path.Combine(dataDirectory, MemberListStorage.FileName), Names(stored));
        return storage;
    }

    /// <summary>
    /// Opens the log. .NEXT's own log (under it, for the term and vote) maps every page file of <c>wal/</c>
    /// in its constructor, and a page longer than a page (garbage appended by a crash) throws
    /// ArgumentOutOfRangeException from MemoryMappedFile: reported as a damaged folder.
    /// </summary>
    private static LedgerLog OpenLedgerLog(WebApplication app, string dataDirectory)
    {
        try
        {
            return app.Services.GetRequiredService<LedgerLog>();
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or WriteAheadLog.InternalException)
        {
            throw new WriteAheadLogDamagedException(dataDirectory, e);
        }
    }

    private static void Validate(LedgerOptions options)
    {
        if (options.MaxValueBytes < 1 || options.MaxValueBytes > 64 * 1024 * 1024)
            throw new InvalidOperationException($"Ledger:MaxValueBytes is {options.MaxValueBytes}: use 1 to 67108864");
        if (options.MaxTxnOperations < 1 || options.MaxTxnBytes < 1 || options.MaxTxnBytes > 64 * 1024 * 1024)
            throw new InvalidOperationException($"Ledger:MaxTxnOperations is {options.MaxTxnOperations} and Ledger:MaxTxnBytes {options.MaxTxnBytes}: use a positive count and 1 to 67108864 bytes");
        if (options.WatchHistoryChanges < 1 || options.WatchHistoryBytes < 1 || options.WatchProgressMs is < 10 or > 10_000)
            throw new InvalidOperationException("Ledger:WatchHistoryChanges and Ledger:WatchHistoryBytes must be positive, and Ledger:WatchProgressMs 10 to 10000");
        if (options.MaxWaitSeconds is < 1 or > 86_400)
            throw new InvalidOperationException($"Ledger:MaxWaitSeconds is {options.MaxWaitSeconds}: use 1 to 86400 seconds");
        if (options.SnapshotInterval < 1)
            throw new InvalidOperationException($"Ledger:SnapshotInterval is {options.SnapshotInterval}: use a positive number of log entries");
        if (options.SegmentBytes is < 1024 * 1024 or > 1024L * 1024 * 1024)
            throw new InvalidOperationException($"Ledger:SegmentBytes is {options.SegmentBytes}: use 1048576 (1 MiB) to 1073741824 (1 GiB)");
        if (options.MinFreeDiskBytes < 0)
            throw new InvalidOperationException($"Ledger:MinFreeDiskBytes is {options.MinFreeDiskBytes}: use 0 or more bytes");
        if (options.SnapshotCatchUpEntries < 0)
            throw new InvalidOperationException($"Ledger:SnapshotCatchUpEntries is {options.SnapshotCatchUpEntries}: use 0 or more log entries");
        if (options.WriteTimeoutMs < 1 || options.ReadTimeoutMs < 1)
            throw new InvalidOperationException("Ledger:WriteTimeoutMs and Ledger:ReadTimeoutMs must be positive");
        if (options.RaftPort is < 1 or > 65535)
            throw new InvalidOperationException($"Ledger:RaftPort is {options.RaftPort}: use 1 to 65535");
        if (options.TestApplyDelayMs < 0 || options.TestFollowerApplyDelayMs < 0 || options.TestAppendDelayMs < 0 || options.TestSnapshotAnswerDelayMs < 0)
            throw new InvalidOperationException("Ledger:TestApplyDelayMs, Ledger:TestFollowerApplyDelayMs, Ledger:TestAppendDelayMs and Ledger:TestSnapshotAnswerDelayMs must not be negative");
    }
}
