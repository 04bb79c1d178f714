namespace GeoLedger.Bench;

/// <summary>What a steady workload sends.</summary>
internal enum WorkloadKind
{
    /// <summary>PUT of a new unique key, to the leader.</summary>
    Put,

    /// <summary>Linearizable GET of a preloaded key, on one follower.</summary>
    LinearizableGet,

    /// <summary>Local GET (etcd: serializable range) of a preloaded key, on one follower.</summary>
    LocalGet,

    /// <summary>Nine linearizable GETs spread over all members, then one PUT to the leader.</summary>
    Mixed,
}

/// <summary>One row of the comparison table.</summary>
internal sealed record Workload(string Id, string Title, int Clients, WorkloadKind Kind, int ValueBytes = 64)
{
    /// <summary>The steady workloads, in table order.</summary>
    public static readonly IReadOnlyList<Workload> All =
    [
        new("put-1", "PUT, 1 client (sequential)", 1, WorkloadKind.Put),
        new("put-16", "PUT, 16 clients", 16, WorkloadKind.Put),
        new("put-64", "PUT, 64 clients", 64, WorkloadKind.Put),
        new("put4k-16", "PUT 4 KiB values, 16 clients", 16, WorkloadKind.Put, 4096),
        new("lin-get-1", "GET linearizable on a follower, 1 client", 1, WorkloadKind.LinearizableGet),
        new("lin-get-16", "GET linearizable on a follower, 16 clients", 16, WorkloadKind.LinearizableGet),
        new("local-get-16", "GET local on a follower, 16 clients (etcd serializable)", 16, WorkloadKind.LocalGet),
        new("mixed-32", "90% GET / 10% PUT, 32 clients", 32, WorkloadKind.Mixed),
    ];

    /// <summary>True when keys must exist before the measurement.</summary>
    public bool NeedsPreload => Kind != WorkloadKind.Put;
}

/// <summary>Keys and values, generated the same way for every system.</summary>
internal static class KeySpace
{
    /// <summary>A key no request of this run used before.</summary>
    public static string Unique(string run, int worker, long seq) => $"bench-{run}-{worker}-{seq}";

    /// <summary>The <paramref name="i"/>th key written before a read workload.</summary>
    public static string Preloaded(string run, long i) => $"bench-{run}-pre-{i}";

    /// <summary>The preloaded key a reader asks for next (workers walk the keys from different offsets).</summary>
    public static string ReadKey(string run, WorkerState state, int preloaded) => Preloaded(run, (state.Worker * 7919L + state.Seq) % preloaded);

    /// <summary>
    /// A value of exactly <paramref name="bytes"/> stored bytes: a JSON string (quotes included), so
    /// GeoLedger stores this text as the JSON value and etcd stores the same bytes.
    /// </summary>
    public static string Value(int bytes) => "\"" + new string('v', bytes - 2) + "\"";
}
