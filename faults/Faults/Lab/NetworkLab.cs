using System.Security.Cryptography;

namespace GeoLedger.Faults.Lab;

/// <summary>
/// One network namespace per node on a bridge this run creates, addresses in 169.254.77.0/24
/// (the bridge, where the clients and the runner live, is 169.254.77.254). Partitions are nftables
/// drop rules inside the nodes' namespaces; every cut is probed before it counts. Everything is
/// deleted on dispose, also when the run fails. One lab per machine at a time (the addresses are
/// fixed): a second run waits for the first's lock, and only a lab whose run is gone is removed.
/// </summary>
public sealed class NetworkLab : IDisposable
{
    /// <summary>The bridge's address: where the runner's clients connect from.</summary>
    public const string BridgeAddress = "169.254.77.254";

    private const string Table = "geoledger_faults";
    private const string LockPath = "/run/geoledger-faults.lock";
    private static readonly TimeSpan LockWait = TimeSpan.FromMinutes(30);
    private readonly string runId;
    private readonly FileStream machineLock;
    private bool disposed;

    private NetworkLab(string runId, int nodes, FileStream machineLock)
    {
        this.runId = runId;
        this.machineLock = machineLock;
        Hosts = Enumerable.Range(1, nodes).Select(i => $"169.254.77.{i}").ToList();
    }

    /// <summary>Each node's address, in node order.</summary>
    public IReadOnlyList<string> Hosts { get; }

    /// <summary>The namespace of node <paramref name="index"/>.</summary>
    public string Namespace(int index) => $"gln-{runId}-{index}";

    private string Bridge => $"glb-{runId}";

    /// <summary>The command prefix that runs a process inside node <paramref name="index"/>'s namespace.</summary>
    public IReadOnlyList<string> LaunchPrefix(int index) => ["ip", "netns", "exec", Namespace(index)];

    /// <summary>True when this process may create namespaces (root with the ip and nft tools).</summary>
    public static bool IsAvailable(out string reason)
    {
        if (Environment.UserName != "root" && !string.Equals(Environment.GetEnvironmentVariable("USER"), "root", StringComparison.Ordinal))
        {
            reason = "not running as root";
            return false;
        }

        foreach (var tool in new[] { "ip", "nft" })
        {
            if (Shell.TryRun("sh", "-c", $"command -v {tool}").Code != 0)
            {
                reason = $"'{tool}' is not installed (apt-get install iproute2 nftables)";
                return false;
            }
        }

        reason = "";
        return true;
    }

    /// <summary>
    /// Creates the bridge and one namespace per node, each reachable from the bridge address. A lab
    /// left behind by a run that was killed (it holds the same addresses) is deleted first.
    /// </summary>
    public static NetworkLab Create(int nodes, Action<string>? log = null)
    {
        var machineLock = TakeMachineLock(log);
        try
        {
            RemoveStale(log); // holding the lock: any lab still here belongs to a run that died
        }
        catch
        {
            machineLock.Dispose();
            throw;
        }

        var lab = new NetworkLab(Convert.ToHexString(RandomNumberGenerator.GetBytes(2)).ToLowerInvariant(), nodes, machineLock);
        try
        {
            lab.Build();
            return lab;
        }
        catch
        {
            lab.Dispose();
            throw;
        }
    }

    /// <summary>
    /// An exclusive lock (flock, released by the kernel when the process dies) on a file every run
    /// opens: two labs at once would share addresses, and a second run would delete the first's lab.
    /// </summary>
    private static FileStream TakeMachineLock(Action<string>? log)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        var said = false;
        while (true)
        {
            try
            {
                return new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (waited.Elapsed < LockWait)
            {
                if (!said)
                    log?.Invoke($"another fault run holds {LockPath}; waiting for it to finish (up to {LockWait.TotalMinutes:0} min)");
                said = true;
                Thread.Sleep(TimeSpan.FromSeconds(1)); // polling a lock another process holds: no event to wait on
            }
        }
    }

    private static void RemoveStale(Action<string>? log)
    {
        var namespaces = Shell.Run("ip", "netns", "list").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ')[0]).Where(name => name.StartsWith("gln-", StringComparison.Ordinal)).ToList();
        var links = Shell.Run("ip", "-o", "link", "show").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(':')[1].Trim().Split('@')[0])
            .Where(name => name.StartsWith("glb-", StringComparison.Ordinal) || name.StartsWith("glv-", StringComparison.Ordinal)).ToList();
        if (namespaces.Count + links.Count > 0)
            log?.Invoke($"removing a network lab left by an earlier run: {string.Join(", ", namespaces.Concat(links))}");
        foreach (var name in namespaces)
            Shell.TryRun("ip", "netns", "del", name);
        foreach (var name in links)
            Shell.TryRun("ip", "link", "del", name);
    }

    private void Build()
    {
        Shell.Run("ip", "link", "add", Bridge, "type", "bridge");
        Shell.Run("ip", "addr", "add", $"{BridgeAddress}/24", "dev", Bridge);
        Shell.Run("ip", "link", "set", Bridge, "up");
        for (var i = 0; i < Hosts.Count; i++)
        {
            var ns = Namespace(i);
            var outside = $"glv-{runId}-{i}";
            var inside = $"glp-{runId}-{i}";
            Shell.Run("ip", "netns", "add", ns);
            Shell.Run("ip", "link", "add", outside, "type", "veth", "peer", "name", inside);
            Shell.Run("ip", "link", "set", outside, "master", Bridge);
            Shell.Run("ip", "link", "set", outside, "up");
            Shell.Run("ip", "link", "set", inside, "netns", ns);
            Shell.Run("ip", "netns", "exec", ns, "ip", "addr", "add", $"{Hosts[i]}/24", "dev", inside);
            Shell.Run("ip", "netns", "exec", ns, "ip", "link", "set", inside, "up");
            Shell.Run("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up");
            Shell.Run("ip", "netns", "exec", ns, "nft", "add", "table", "inet", Table);
            Shell.Run("ip", "netns", "exec", ns, "nft", "add", "chain", "inet", Table, "input", "{ type filter hook input priority 0; policy accept; }");
            Shell.Run("ip", "netns", "exec", ns, "nft", "add", "chain", "inet", Table, "output", "{ type filter hook output priority 0; policy accept; }");
        }
    }

    /// <summary>
    /// Cuts every link between nodes of different groups (both directions, in every namespace);
    /// the clients on the bridge still reach every node. Nodes in no group are cut from everyone.
    /// </summary>
    public void Partition(IReadOnlyList<IReadOnlyList<int>> groups)
    {
        Heal();
        var groupOf = new Dictionary<int, int>();
        for (var g = 0; g < groups.Count; g++)
            foreach (var node in groups[g])
                groupOf[node] = g;
        for (var i = 0; i < Hosts.Count; i++)
        {
            for (var j = 0; j < Hosts.Count; j++)
            {
                if (i == j || (groupOf.TryGetValue(i, out var gi) && groupOf.TryGetValue(j, out var gj) && gi == gj))
                    continue;
                Nft(i, "add", "rule", "inet", Table, "input", "ip", "saddr", Hosts[j], "drop");
                Nft(i, "add", "rule", "inet", Table, "output", "ip", "daddr", Hosts[j], "drop");
            }
        }
    }

    /// <summary>Removes every cut.</summary>
    public void Heal()
    {
        for (var i = 0; i < Hosts.Count; i++)
        {
            Nft(i, "flush", "chain", "inet", Table, "input");
            Nft(i, "flush", "chain", "inet", Table, "output");
        }
    }

    /// <summary>True when node <paramref name="from"/> can open a TCP connection to <paramref name="to"/>'s <paramref name="port"/>.</summary>
    public bool CanConnect(int from, int to, int port)
    {
        var (code, _) = Shell.TryRun("ip", "netns", "exec", Namespace(from), "timeout", "1", "bash", "-c", $"exec 3<>/dev/tcp/{Hosts[to]}/{port}");
        return code == 0;
    }

    /// <summary>Deletes the namespaces, links and bridge of this run.</summary>
    public void Dispose()
    {
        if (disposed)
            return;
        disposed = true;
        for (var i = 0; i < Hosts.Count; i++)
        {
            Shell.TryRun("ip", "netns", "del", Namespace(i));
            Shell.TryRun("ip", "link", "del", $"glv-{runId}-{i}");
        }

        Shell.TryRun("ip", "link", "del", Bridge);
        machineLock.Dispose();
    }

    private void Nft(int node, params string[] args) => Shell.Run("ip", ["netns", "exec", Namespace(node), "nft", .. args]);
}
