using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using GeoLedger.Cluster;
using GeoLedger.LocalCluster;

namespace GeoLedger.Tests.MultiNode;

/// <summary>One 3-node cluster (with a cluster secret) shared by the tests that leave it healthy.</summary>
public sealed class SharedClusterFixture : IAsyncLifetime
{
    public const string Secret = "test-cluster-secret";

    public TestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Cluster = await TestCluster.StartAsync(3, new Dictionary<string, string> { ["Ledger:ClusterSecret"] = Secret });

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[Collection(MultiNodeCollection.Name)]
public sealed class ClusterBasicsTests(SharedClusterFixture fixture) : IClassFixture<SharedClusterFixture>
{
    private TestCluster Cluster => fixture.Cluster;
    private HttpClient Http => Cluster.Nodes.Http;

    [Fact]
    public Task Every_node_names_the_same_leader_and_lists_every_member() => Cluster.WithOutputOnFailureAsync(async () =>
    {
        var leader = await Cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        foreach (var node in Cluster.Nodes.Nodes)
        {
            var view = await Http.GetFromJsonAsync<JsonElement>(new Uri(node.PublicUrl, "/v1/cluster"));
            Assert.Equal(node.Id, view.GetProperty("node").GetProperty("id").GetString());
            Assert.Equal(leader.Id, view.GetProperty("leader").GetProperty("id").GetString());
            Assert.Equal(leader.PublicUrl.AbsoluteUri, view.GetProperty("leader").GetProperty("public").GetString());
            var members = view.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("id").GetString()).Order().ToList();
            Assert.Equal(["node-0", "node-1", "node-2"], members);
        }
    });

    [Fact]
    public Task A_write_on_the_leader_is_read_linearizable_on_every_follower_at_once() => Cluster.WithOutputOnFailureAsync(async () =>
    {
        var leader = await Cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        for (var i = 0; i < 10; i++)
        {
            var value = $"{{\"round\":{i}}}";
            using var put = await KvClient.PutAsync(Http, leader.PublicUrl, "linearizable-key", value);
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
            foreach (var follower in Cluster.Nodes.Nodes.Where(n => n != leader))
            {
                var (status, read, _) = await KvClient.GetAsync(Http, follower.PublicUrl, "linearizable-key");
                Assert.Equal(HttpStatusCode.OK, status);
                Assert.Equal(value, read);
            }
        }
    });

    [Fact]
    public Task Concurrent_linearizable_reads_on_a_follower_each_see_every_write_acknowledged_before_they_were_sent() => Cluster.WithOutputOnFailureAsync(async () =>
    {
        // Sixteen readers on one follower share read-index requests; none may reuse a request sent before it asked.
        var leader = await Cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        var follower = Cluster.Nodes.Nodes.First(n => n != leader);
        long acknowledged = 0;
        using (var seed = await KvClient.PutAsync(Http, leader.PublicUrl, "shared-rounds", "0"))
            Assert.Equal(HttpStatusCode.OK, seed.StatusCode);

        var reads = 0;
        using var writing = new CancellationTokenSource();
        var writer = Task.Run(async () =>
        {
            for (var n = 1; !writing.IsCancellationRequested; n++)
            {
                using var put = await KvClient.PutAsync(Http, leader.PublicUrl, "shared-rounds", n.ToString());
                Assert.Equal(HttpStatusCode.OK, put.StatusCode);
                Volatile.Write(ref acknowledged, n);
            }
        });
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var readers = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            while (Volatile.Read(ref reads) < 2000 || Volatile.Read(ref acknowledged) < 100)
            {
                deadline.Token.ThrowIfCancellationRequested();
                var floor = Volatile.Read(ref acknowledged);
                var (status, value, _) = await KvClient.GetAsync(Http, follower.PublicUrl, "shared-rounds");
                Assert.Equal(HttpStatusCode.OK, status);
                Assert.True(long.Parse(value!) >= floor, $"read {value} after write {floor} was acknowledged");
                Interlocked.Increment(ref reads);
            }
        })).ToList();
        try
        {
            await Task.WhenAll(readers);
        }
        finally
        {
            await writing.CancelAsync();
            await writer;
        }
    });

    [Fact]
    public Task The_leader_answers_a_read_index_covering_acknowledged_writes_whether_or_not_the_asker_term_matches() => Cluster.WithOutputOnFailureAsync(async () =>
    {
        var leader = await Cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        var follower = Cluster.Nodes.Nodes.First(n => n != leader);
        using var put = await KvClient.PutAsync(Http, leader.PublicUrl, "read-index-key", "1");
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var revision = long.Parse(put.Headers.ETag!.Tag.Trim('"'));
        var term = (await Http.GetFromJsonAsync<JsonElement>(new Uri(leader.PublicUrl, "/v1/cluster"))).GetProperty("term").GetInt64();

        async Task<(HttpStatusCode Status, string Body)> AskAsync(NodeProcess node, string query)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(node.Spec.Member.Raft, ReadIndex.Path + query));
            request.Headers.Add(ClusterSecret.HeaderName, SharedClusterFixture.Secret);
            using var response = await Http.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        // The same term: answered from the commit index (the asker witnesses the leadership).
        var (witnessed, witnessedIndex) = await AskAsync(leader, $"?term={term}");
        Assert.Equal(HttpStatusCode.OK, witnessed);
        Assert.True(long.Parse(witnessedIndex) >= revision, $"index {witnessedIndex} misses the write at {revision}");
        // An older term, or none: the leader's full barrier, still covering the write.
        foreach (var query in new[] { $"?term={term - 1}", "" })
        {
            var (status, index) = await AskAsync(leader, query);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.True(long.Parse(index) >= revision, $"index {index} misses the write at {revision} ({query})");
        }

        // A follower never answers one.
        Assert.Equal(HttpStatusCode.Conflict, (await AskAsync(follower, $"?term={term}")).Status);
    });

    [Fact]
    public Task A_write_sent_to_a_follower_is_redirected_to_the_leader_public_url_and_completes() => Cluster.WithOutputOnFailureAsync(async () =>
    {
        var leader = await Cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        var follower = Cluster.Nodes.Nodes.First(n => n != leader);

        using var raw = new HttpRequestMessage(HttpMethod.Put, new Uri(follower.PublicUrl, "/v1/kv/a%2Fb?note=x"))
        {
            Content = new StringContent("{\"value\":7}", Encoding.UTF8, "application/json"),
        };
        using var redirect = await Http.SendAsync(raw);
        Assert.Equal(HttpStatusCode.TemporaryRedirect, redirect.StatusCode);
        Assert.Equal(new Uri(leader.PublicUrl, "/v1/kv/a%2Fb?note=x").AbsoluteUri, redirect.Headers.Location!.AbsoluteUri);
        Assert.Equal(follower.Id, redirect.Headers.GetValues("X-GeoLedger-Node").Single());
        Assert.Equal(leader.Id, redirect.Headers.GetValues("X-GeoLedger-Leader").Single());

        using var following = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = true, UseProxy = false });
        using var completed = await following.PutAsync(new Uri(follower.PublicUrl, "/v1/kv/a%2Fb"), new StringContent("{\"value\":8}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, completed.StatusCode);
        var other = Cluster.Nodes.Nodes.Last(n => n != leader);
        var (status, value, _) = await KvClient.GetAsync(Http, other.PublicUrl, "a/b");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("8", value);
    });

    [Fact]
    public Task Sixteen_clients_racing_compare_and_set_increments_lose_no_update() => Cluster.WithOutputOnFailureAsync(async () =>
    {
        var leader = await Cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        using (var seed = await KvClient.PutAsync(Http, leader.PublicUrl, "counter", "0"))
            Assert.Equal(HttpStatusCode.OK, seed.StatusCode);

        var successes = 0;
        var conflicts = 0;
        var serverErrors = 0;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var clients = Enumerable.Range(0, 16).Select(c => Task.Run(async () =>
        {
            var node = Cluster.Nodes.Nodes[c % 3];
            while (Volatile.Read(ref successes) < 50 || Volatile.Read(ref conflicts) == 0)
            {
                deadline.Token.ThrowIfCancellationRequested();
                var (status, value, revision) = await KvClient.GetAsync(Http, node.PublicUrl, "counter");
                if ((int)status >= 500)
                {
                    Interlocked.Increment(ref serverErrors);
                    continue;
                }

                Assert.Equal(HttpStatusCode.OK, status);
                using var put = await KvClient.PutAsync(Http, leader.PublicUrl, "counter", (int.Parse(value!) + 1).ToString(), $"\"{revision}\"");
                switch (put.StatusCode)
                {
                    case HttpStatusCode.OK: Interlocked.Increment(ref successes); break;
                    case HttpStatusCode.PreconditionFailed: Interlocked.Increment(ref conflicts); break;
                    default:
                        if ((int)put.StatusCode >= 500)
                            Interlocked.Increment(ref serverErrors);
                        else
                            Assert.Fail($"unexpected {(int)put.StatusCode}");
                        break;
                }
            }
        })).ToList();
        await Task.WhenAll(clients);

        var (_, final, _) = await KvClient.GetAsync(Http, leader.PublicUrl, "counter");
        Assert.Equal(0, serverErrors);
        Assert.True(successes >= 50, $"only {successes} increments succeeded");
        Assert.True(conflicts >= 1, "no compare-and-set conflicted, so the race was not exercised");
        Assert.Equal(successes, int.Parse(final!));
    });

    [Fact]
    public Task The_raft_port_rejects_requests_without_the_cluster_secret_and_serves_no_api() => Cluster.WithOutputOnFailureAsync(async () =>
    {
        var node = Cluster.Nodes.Nodes[0];
        var raft = node.Spec.Member.Raft;

        using var noSecret = new HttpRequestMessage(HttpMethod.Post, new Uri(raft, "/cluster-consensus/raft"));
        noSecret.Headers.Add("X-Raft-Message-Type", "RequestVote");
        using var rejected = await Http.SendAsync(noSecret);
        Assert.Equal(HttpStatusCode.Unauthorized, rejected.StatusCode);

        using var wrongSecret = new HttpRequestMessage(HttpMethod.Post, new Uri(raft, "/cluster-consensus/raft"));
        wrongSecret.Headers.Add(ClusterSecret.HeaderName, "not-the-secret");
        using var rejectedToo = await Http.SendAsync(wrongSecret);
        Assert.Equal(HttpStatusCode.Unauthorized, rejectedToo.StatusCode);

        using var apiOnRaftPort = new HttpRequestMessage(HttpMethod.Get, new Uri(raft, "/v1/kv/anything"));
        apiOnRaftPort.Headers.Add(ClusterSecret.HeaderName, SharedClusterFixture.Secret);
        using var notServed = await Http.SendAsync(apiOnRaftPort);
        Assert.Equal(HttpStatusCode.NotFound, notServed.StatusCode);

        using var raftOnClientPort = await Http.PostAsync(new Uri(node.PublicUrl, "/cluster-consensus/raft"), new StringContent(""));
        Assert.Equal(HttpStatusCode.NotFound, raftOnClientPort.StatusCode);

        await Cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("without the right cluster secret", Cluster.Output);
    });
}
