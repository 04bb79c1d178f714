namespace GeoLedger.Bench;

/// <summary>
/// A replicated key/value system under test: how to start a fresh 3-member cluster on loopback, how
/// its requests are spelled, and how to kill and restart a member. Everything else (clients,
/// keys, values, timing) is shared, so both systems see the same load.
/// </summary>
internal interface IKvSystem : IAsyncDisposable
{
    /// <summary>Name in the table.</summary>
    string Name { get; }

    /// <summary>Client base URLs, in member order.</summary>
    IReadOnlyList<Uri> Members { get; }

    /// <summary>OS process ids of the running members (for CPU and memory readings).</summary>
    IReadOnlyList<int> Pids { get; }

    /// <summary>Starts a fresh cluster and returns once a leader accepts writes.</summary>
    Task StartAsync(CancellationToken token);

    /// <summary>Index (in <see cref="Members"/>) of the leader all running members agree on.</summary>
    Task<int> LeaderAsync(CancellationToken token);

    /// <summary>A write of <paramref name="value"/> (exactly the bytes to store) at <paramref name="key"/>.</summary>
    KvRequest Put(Uri member, string key, string value);

    /// <summary>A read; <paramref name="linearizable"/> false means the member's local (serializable) state.</summary>
    KvRequest Get(Uri member, string key, bool linearizable);

    /// <summary>SIGKILL of member <paramref name="index"/>.</summary>
    Task KillAsync(int index);

    /// <summary>Starts member <paramref name="index"/> again on its data and waits until it serves.</summary>
    Task RestartAsync(int index, CancellationToken token);

    /// <summary>Stops every member and deletes the data.</summary>
    Task StopAsync();
}
