namespace GeoLedger.Bench;

/// <summary>The machine a run measured.</summary>
internal sealed record Machine(int Cores, long MemoryBytes, string Cpu, string Kernel, string DotNet, string Etcd);

/// <summary>Both systems' numbers for one workload.</summary>
internal sealed record WorkloadResult(string Id, string Title, int Clients, int ValueBytes, SystemResult? GeoLedger, SystemResult? Etcd);

/// <summary>Everything one run measured; written as JSON.</summary>
internal sealed record Results(
    string Run,
    DateTime StartedUtc,
    double TotalSeconds,
    string Command,
    Machine Machine,
    BenchOptions Options,
    DiskFloor? Floor,
    IReadOnlyList<WorkloadResult> Workloads,
    IReadOnlyList<FailoverResult> Failover,
    IReadOnlyList<GrowthStep> Growth,
    CatchUpResult? CatchUp,
    IReadOnlyList<string> Notes,
    Geo.GeoResult? Geo = null);
