using System.Collections.Concurrent;
using GeoLedger.LocalCluster;

namespace GeoLedger.Tests.MultiNode;

/// <summary>
/// A cluster of real node processes on loopback ports nobody else uses, on a temp folder deleted
/// afterwards; node output is kept and shown when a test fails.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> output = new();

    private TestCluster(string root, int count, IReadOnlyDictionary<string, string>? settings, Func<string, IReadOnlyDictionary<string, string>?>? perNode, string? bearerToken, Action<string>? prepare)
    {
        Root = root;
        prepare?.Invoke(root);
        Nodes = LocalClusterNodes.Start(ClusterLayout.OnLoopback(root, count), settings, output.Enqueue, perNode);
        if (bearerToken is not null)
            Nodes.Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearerToken);
    }

    /// <summary>The running cluster.</summary>
    public LocalClusterNodes Nodes { get; }

    /// <summary>The temp folder holding every node's data.</summary>
    public string Root { get; }

    /// <summary>Every output line so far, prefixed with the node id.</summary>
    public string Output => string.Join('\n', output);

    /// <summary>Starts <paramref name="count"/> nodes and waits for them to agree on a leader.</summary>
    /// <param name="bearerToken">Sent by <see cref="LocalClusterNodes.Http"/> on every request, for nodes with <c>Ledger:RequireReadAuth</c>.</param>
    /// <param name="prepare">Runs on the root folder before any node starts (node <c>i</c>'s data folder is <c>node-i</c> in it).</param>
    public static async Task<TestCluster> StartAsync(int count, IReadOnlyDictionary<string, string>? settings = null, Func<string, IReadOnlyDictionary<string, string>?>? perNode = null, string? bearerToken = null, Action<string>? prepare = null)
    {
        var root = Path.Combine(Path.GetTempPath(), "geoledger-cluster-tests", Guid.NewGuid().ToString("N"));
        var cluster = new TestCluster(root, count, settings, perNode, bearerToken, prepare);
        try
        {
            await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs <paramref name="assertions"/>; on failure rethrows with the nodes' output attached.</summary>
    public async Task WithOutputOnFailureAsync(Func<Task> assertions)
    {
        try
        {
            await assertions();
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\n--- node output ---\n{Output}\n--- end of node output ---\n{e}");
        }
    }

    /// <summary>Makes sure none of <paramref name="avoid"/> leads, restarting the leader (and so the election) while one does; returns the leader.</summary>
    public async Task<NodeProcess> EnsureLeaderIsNotAsync(params NodeProcess[] avoid)
    {
        var leader = await Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        while (avoid.Contains(leader))
        {
            await leader.KillAsync();
            await Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30), Nodes.Nodes.Where(n => n != leader).ToList());
            leader.Start();
            await leader.WaitReadyAsync(Nodes.Http, TimeSpan.FromSeconds(60));
            leader = await Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        }

        return leader;
    }

    /// <summary>
    /// Starts a new node (empty data folder, the current members plus itself in its node config) and adds it with
    /// <c>POST /v1/cluster/members</c>, retried until it answers 200; returns the node once it is ready.
    /// </summary>
    public async Task<NodeProcess> AddNodeAsync(string id, IReadOnlyDictionary<string, string>? settings = null, TimeSpan? timeout = null)
    {
        var voters = Voters.Where(n => n.IsRunning).ToList();
        var members = await Nodes.MembersSeenByAsync(voters[0]);
        var node = Nodes.StartJoining(id, members, settings);
        await MembershipClient.UntilDoneAsync(Nodes, () => Voters.Where(n => n.IsRunning && n != node).ToList(), HttpMethod.Post, "/v1/cluster/members", MembershipClient.AddBody(node.Spec.Member), timeout ?? TimeSpan.FromSeconds(90));
        removed.Remove(id);
        await node.WaitReadyAsync(Nodes.Http, TimeSpan.FromSeconds(60));
        return node;
    }

    /// <summary>Removes <paramref name="node"/> with <c>DELETE /v1/cluster/members/{id}</c>, retried until it answers 200 (the node keeps running).</summary>
    public async Task RemoveNodeAsync(NodeProcess node, TimeSpan? timeout = null)
    {
        removed.Add(node.Id);
        await MembershipClient.UntilDoneAsync(Nodes, () => Voters.Where(n => n.IsRunning).ToList(), HttpMethod.Delete, $"/v1/cluster/members/{node.Id}", null, timeout ?? TimeSpan.FromSeconds(90));
    }

    /// <summary>The nodes not removed through <see cref="RemoveNodeAsync"/> (running or not).</summary>
    public IReadOnlyList<NodeProcess> Voters => Nodes.Nodes.Where(n => !removed.Contains(n.Id)).ToList();

    private readonly HashSet<string> removed = new(StringComparer.Ordinal);

    public async ValueTask DisposeAsync()
    {
        await Nodes.DisposeAsync();
        if (Directory.Exists(Root))
            Directory.Delete(Root, recursive: true);
    }
}
