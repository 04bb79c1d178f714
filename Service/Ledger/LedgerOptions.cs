namespace GeoLedger.Ledger;

/// <summary>The <c>Ledger:*</c> settings.</summary>
public sealed class LedgerOptions
{
    /// <summary>Path of the node config file; absent means a single node.</summary>
    public string? NodeConfig { get; set; }

    /// <summary>Folder of the write-ahead log and snapshots (default <c>.data/&lt;node id&gt;</c> under the content root).</summary>
    public string? DataDirectory { get; set; }

    /// <summary>The Raft port when there is no node config.</summary>
    public int RaftPort { get; set; } = 3262;

    /// <summary>Largest value accepted, in bytes of its minified JSON text.</summary>
    public int MaxValueBytes { get; set; } = 1024 * 1024;

    /// <summary>Most compares, and most operations in each branch, of one transaction (etcd's default too).</summary>
    public int MaxTxnOperations { get; set; } = 128;

    /// <summary>Largest transaction accepted, in bytes of its log entry (its keys, values and compared values plus a few bytes each).</summary>
    public int MaxTxnBytes { get; set; } = 1024 * 1024;

    /// <summary>Longest <c>timeout</c> a blocking read (<c>?waitRevision=</c>) may ask for, in seconds.</summary>
    public int MaxWaitSeconds { get; set; } = 300;

    /// <summary>Changes each node keeps for watchers (older ones: 410 for a watch that asks for them).</summary>
    public int WatchHistoryChanges { get; set; } = 100_000;

    /// <summary>Bytes of keys and values of the changes each node keeps for watchers.</summary>
    public long WatchHistoryBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>A watch with nothing to send sends a progress event (the current revision) this often (milliseconds; at most 10 s).</summary>
    public int WatchProgressMs { get; set; } = 5_000;

    /// <summary>Client tokens; empty means no authentication.</summary>
    public List<ApiToken> ApiTokens { get; set; } = [];

    /// <summary>Whether reads need a token too.</summary>
    public bool RequireReadAuth { get; set; }

    /// <summary>Shared secret carried by every Raft message.</summary>
    public string? ClusterSecret { get; set; }

    /// <summary>
    /// A PEM file with the client port's certificate, its chain and its private key (an ACME
    /// certificate as certbot's deploy hook writes it); reloaded when it changes. Unset: Kestrel's
    /// own certificate settings serve https.
    /// </summary>
    public string? TlsCertificateFile { get; set; }

    /// <summary>Log entries between snapshots (etcd's default snapshot count too); written in the background while applying goes on.</summary>
    public long SnapshotInterval { get; set; } = 100_000;

    /// <summary>Entries kept in the log behind the newest snapshot, so a follower a little behind gets entries instead of a whole snapshot.</summary>
    public long SnapshotCatchUpEntries { get; set; } = 10_000;

    /// <summary>Bytes allocated for each log segment file in advance (1 MiB to 1 GiB).</summary>
    public long SegmentBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>Free bytes the data folder's disk must keep for writes to be taken (below it: 507, not attempted).</summary>
    public long MinFreeDiskBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>How long a write waits for commit and apply before answering 504 (milliseconds).</summary>
    public int WriteTimeoutMs { get; set; } = 5_000;

    /// <summary>
    /// Whether a follower asks the leader for a read index with a UDP datagram on the Raft port's number
    /// (<see cref="GeoLedger.Cluster.ReadIndexDatagram"/>) before HTTP, and whether this node answers such datagrams.
    /// </summary>
    public bool ReadIndexDatagrams { get; set; } = true;

    /// <summary>
    /// Whether this node, as a follower, also acknowledges entries by a datagram to the leader's Raft port number the moment
    /// they are on its disk (<see cref="GeoLedger.Cluster.AckDatagram"/>), and, as leader, counts such datagrams.
    /// </summary>
    public bool AckDatagrams { get; set; } = true;

    /// <summary>How long a linearizable read waits for its barrier before answering 503 (milliseconds).</summary>
    public int ReadTimeoutMs { get; set; } = 5_000;

    /// <summary>Test hook: a pause before applying each entry (milliseconds), to make writes time out; 0 in production.</summary>
    public int TestApplyDelayMs { get; set; }

    /// <summary>Test hook: a pause before applying each entry received from a leader (milliseconds); 0 in production.</summary>
    public int TestFollowerApplyDelayMs { get; set; }

    /// <summary>
    /// Test hook: followers acknowledge entries before flushing them, and a flush waits 100 ms after it is
    /// asked for (the bug the durability test must catch, with a window it can see); false in production.
    /// </summary>
    public bool TestAcknowledgeBeforeFlush { get; set; }

    /// <summary>Test hook: a pause before a follower appends what the leader sent (milliseconds), to make it acknowledge last; 0 in production.</summary>
    public int TestAppendDelayMs { get; set; }

    /// <summary>Test hook: members (ids, comma-separated) a leader sends one entry per AppendEntries, so that they lag behind the others; null in production.</summary>
    public string? TestOneEntryPerRequestTo { get; set; }

    /// <summary>Test hook: a pause before a follower answers its first snapshot install (milliseconds), to lose the answer to the leader's timeout; 0 in production.</summary>
    public int TestSnapshotAnswerDelayMs { get; set; }

    /// <summary>
    /// Test hook: Raft connections and datagrams to the endpoint on the left go to the one on the right
    /// (<c>127.0.0.1:7082=127.0.0.1:9001,...</c>), so a delaying proxy can sit on each link while the
    /// members keep their identities (.NEXT names a member by its Raft URL); null in production.
    /// </summary>
    public string? TestRaftVia { get; set; }

    /// <summary>Test hook: the leader commits by .NEXT 6.12's own rule (the bug the commit-rule test must catch); false in production.</summary>
    public bool TestDotNextCommitRule { get; set; }
}

/// <summary>One client token.</summary>
public sealed class ApiToken
{
    /// <summary>The bearer token.</summary>
    public string Token { get; set; } = "";

    /// <summary><c>read</c> or <c>write</c> (write implies read).</summary>
    public string Access { get; set; } = "";
}
