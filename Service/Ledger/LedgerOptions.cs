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

    /// <summary>Log entries between snapshots (etcd's default snapshot count too). Applying waits while a snapshot is written.</summary>
    public long SnapshotInterval { get; set; } = 100_000;

    /// <summary>How long a write waits for commit and apply before answering 504 (milliseconds).</summary>
    public int WriteTimeoutMs { get; set; } = 5_000;

    /// <summary>How long a linearizable read waits for its barrier before answering 503 (milliseconds).</summary>
    public int ReadTimeoutMs { get; set; } = 5_000;

    /// <summary>Test hook: a pause before applying each entry (milliseconds), to make writes time out; 0 in production.</summary>
    public int TestApplyDelayMs { get; set; }

    /// <summary>Test hook: a pause before applying each entry received from a leader (milliseconds); 0 in production.</summary>
    public int TestFollowerApplyDelayMs { get; set; }
}

/// <summary>One client token.</summary>
public sealed class ApiToken
{
    /// <summary>The bearer token.</summary>
    public string Token { get; set; } = "";

    /// <summary><c>read</c> or <c>write</c> (write implies read).</summary>
    public string Access { get; set; } = "";
}
