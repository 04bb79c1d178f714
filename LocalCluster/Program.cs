using System.Runtime.InteropServices;
using GeoLedger.LocalCluster;
using GeoLedger.LocalCluster.Geo;

// The local-cluster command: N nodes on 127.0.0.1 as separate processes, data kept between runs.
var nodes = 3;
var clientBase = 5081;
var raftBase = 7081;
string? data = null;
string[]? geo = null;
var extra = new Dictionary<string, string>();
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--nodes" when i + 1 < args.Length && int.TryParse(args[i + 1], out var n) && n is >= 1 and <= GeoLedger.LedgerNode.MaxMembers:
            nodes = n;
            i++;
            break;
        case "--port" when i + 1 < args.Length && int.TryParse(args[i + 1], out var p) && p is > 0 and < 65000:
            clientBase = p;
            raftBase = p + 2000;
            i++;
            break;
        case "--geo" when i + 1 < args.Length:
            geo = args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            break;
        case "--data" when i + 1 < args.Length:
            data = args[++i];
            break;
        case "--set" when i + 1 < args.Length && args[i + 1].Split('=', 2) is [var key, var value]:
            extra[key] = value;
            i++;
            break;
        default:
            Console.Error.WriteLine("""
                usage: dotnet run --project LocalCluster -- [--nodes 3] [--port 5081] [--data .data/local-cluster] [--set Key=Value]...
                       dotnet run --project LocalCluster -- --geo eastus,westus,centralus [--nodes 1] [--port 5081] ...
                  --nodes  number of nodes, 1-7 (default 3; odd sizes recommended); with --geo, nodes per region (default 1)
                  --geo    regions (Infra/Plan/RegionRtt.cs): every Raft link and every client port is delayed by half
                           the regions' median round trip (data in .data/geo-cluster by default)
                  --port   first client port; node i uses port+i for clients and port+2000+i for Raft (default 5081)
                  --data   folder for the nodes' data, kept between runs (default .data/local-cluster in the repository)
                  --set    a setting passed to every node (in its environment), e.g. --set Ledger:SnapshotInterval=1000;
                           give secrets in this command's environment instead (Ledger__ClusterSecret=...), as
                           every user of the machine can read its command line
                """);
            return 64;
    }
}

if (geo is not null)
    return await GeoDemo.RunAsync(geo, args.Contains("--nodes") ? nodes : 1, clientBase, data ?? Path.Combine(NodeBinary.RepositoryRoot(), ".data", "geo-cluster"), extra);

data ??= Path.Combine(NodeBinary.RepositoryRoot(), ".data", "local-cluster");
var ports = Enumerable.Range(0, nodes).SelectMany(i => new[] { clientBase + i, raftBase + i }).ToList();
var layout = ClusterLayout.OnLoopback(data, nodes, ports);
var consoleLock = new Lock();
void Print(string line)
{
    lock (consoleLock)
        Console.WriteLine(line);
}

await using var cluster = LocalClusterNodes.Start(layout, extra, Print);
using var stop = new CancellationTokenSource();
void Stop(PosixSignalContext context)
{
    context.Cancel = true; // stop the nodes cleanly instead of dying with them
    stop.Cancel();
}

using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

try
{
    var leader = await cluster.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
    var follower = cluster.Nodes.FirstOrDefault(n => n != leader) ?? leader;
    var other = cluster.Nodes.LastOrDefault(n => n != leader && n != follower) ?? leader;
    var members = string.Join("\n", cluster.Nodes.Select(n => $"  {n.Id}: {n.PublicUrl}  (Raft {n.Spec.Member.Raft})"));
    Print($$"""

        GeoLedger local cluster: {{nodes}} nodes, data in {{layout.Root}}
        {{members}}
        leader: {{leader.Id}}

        Try:
          curl -X PUT {{leader.PublicUrl}}v1/kv/greeting -H 'Content-Type: application/json' -d '{"value":"hello"}'
          curl {{follower.PublicUrl}}v1/kv/greeting
          curl -L -X PUT {{follower.PublicUrl}}v1/kv/counter -H 'Content-Type: application/json' -d '{"value":1}'
          curl {{other.PublicUrl}}v1/kv/counter
          curl '{{other.PublicUrl}}v1/kv/counter?consistency=local'
          curl -L -X PUT {{follower.PublicUrl}}1 -H 'Content-Type: application/json' -d '{"state":"on"}'
          curl {{other.PublicUrl}}1
          curl {{follower.PublicUrl}}v1/cluster

        Ctrl+C stops the nodes; their data stays for the next start.

        """);
    await Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => { });
}
catch (Exception e) when (e is TimeoutException or InvalidOperationException)
{
    Print($"local cluster: {e.Message}");
    await cluster.StopAllAsync();
    return 1;
}

Print("local cluster: stopping nodes");
await cluster.StopAllAsync();
Print("local cluster: stopped; data kept in " + layout.Root);
return 0;
