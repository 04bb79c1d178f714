using System.Runtime.InteropServices;

namespace GeoLedger.LocalCluster.Geo;

/// <summary>The <c>--geo</c> command: a <see cref="GeoCluster"/> that serves until Ctrl+C, with what to try printed.</summary>
public static class GeoDemo
{
    /// <summary>Starts the cluster, prints regions, round trips and URLs, serves until SIGINT/SIGTERM; returns the exit code.</summary>
    public static async Task<int> RunAsync(IReadOnlyList<string> regions, int perRegion, int clientBase, string data, IReadOnlyDictionary<string, string> settings)
    {
        var consoleLock = new Lock();
        void Print(string line)
        {
            lock (consoleLock)
                Console.WriteLine(line);
        }

        GeoCluster cluster;
        try
        {
            cluster = GeoCluster.Start(data, regions, perRegion, clientBase, settings, Print);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"geo cluster: {e.Message}");
            return 64;
        }

        await using var _ = cluster;
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
            var leader = await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(120));
            var far = cluster.Nodes.Nodes.Where(n => n != leader).OrderByDescending(n => GeoLinks.RttMs(cluster.RegionOf(n), cluster.RegionOf(leader))).FirstOrDefault() ?? leader;
            var farRegion = cluster.RegionOf(far);
            var nodes = string.Join("\n", cluster.Nodes.Nodes.Select(n =>
                $"  {n.Id}: {n.PublicUrl}  (Raft {n.Spec.Member.Raft}); from a client in "
                + string.Join(", ", cluster.Regions.Select(r => $"{r} {cluster.ClientUrl(r, n)}"))));
            var p = cluster.Profile;
            var unproxied = cluster.RaftConnections == 0
                ? "\nWARNING: no node dialed its peers through the proxies (this node build ignores Ledger:TestRaftVia): Raft links are NOT delayed.\n"
                : "";
            Print($$"""

                GeoLedger geo cluster: {{cluster.Nodes.Nodes.Count}} nodes in {{string.Join(", ", cluster.Regions)}}, data in {{cluster.Nodes.Layout.Root}}
                Round trips (Infra/Plan/RegionRtt.cs), each Raft link and client port delayed by half each way:
                {{string.Join("\n", cluster.DescribeLinks().Select(l => "  " + l))}}
                Raft profile (as the Pulumi plan sets it for a worst round trip of {{p.RttMs}} ms): election {{p.LowerElectionMs}}-{{p.UpperElectionMs}} ms, rpc timeout {{p.Rpc.TotalMilliseconds:0}} ms
                Nodes (direct URL, no delay; then the URL a client in each region uses):
                {{nodes}}
                leader: {{leader.Id}} ({{cluster.RegionOf(leader)}}); nearest majority {{GeoLinks.NearestMajorityRttMs(cluster.RegionOf(leader), cluster.Nodes.Nodes.Select(cluster.RegionOf).ToList())}} ms round trip away

                Try (a client in {{farRegion}}, writing through the leader in {{cluster.RegionOf(leader)}}, then reading on its own node):
                  curl -w ' %{time_total}s\n' -X PUT {{cluster.ClientUrl(farRegion, leader)}}v1/kv/greeting -H 'Content-Type: application/json' -d '{"value":"hello"}'
                  curl -w ' %{time_total}s\n' {{cluster.ClientUrl(farRegion, far)}}v1/kv/greeting
                  curl -w ' %{time_total}s\n' '{{cluster.ClientUrl(farRegion, far)}}v1/kv/greeting?consistency=local'
                  curl {{cluster.ClientUrl(farRegion, far)}}v1/cluster
                A follower's 307 names the leader's direct URL (no delay): send writes to the leader's URL for your region.

                Ctrl+C stops the nodes; their data stays for the next start.{{unproxied}}

                """);
            await Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => { });
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            Print($"geo cluster: {e.Message}");
            await cluster.StopAsync();
            return 1;
        }

        Print("geo cluster: stopping nodes");
        await cluster.StopAsync();
        Print("geo cluster: stopped; data kept in " + cluster.Nodes.Layout.Root);
        return 0;
    }
}
