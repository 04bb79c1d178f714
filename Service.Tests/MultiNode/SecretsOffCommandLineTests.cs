using System.Net;
using System.Net.Http.Headers;
using System.Text;
using GeoLedger.LocalCluster;

namespace GeoLedger.Tests.MultiNode;

/// <summary>
/// The node launcher (local cluster, tests, benchmark, fault suite) hands settings to a node in its environment: the
/// cluster secret and the tokens reach the node but never its command line, which every user can read in /proc.
/// </summary>
[Collection(MultiNodeCollection.Name)]
public sealed class SecretsOffCommandLineTests
{
    private const string Secret = "secret-3c5e0f9a-not-on-the-command-line";
    private const string Token = "token-7d21b4c8-not-on-the-command-line";

    [Fact]
    public async Task The_cluster_secret_and_tokens_reach_the_node_but_not_its_command_line()
    {
        await using var cluster = await TestCluster.StartAsync(1, new Dictionary<string, string>
        {
            ["Ledger:ClusterSecret"] = Secret,
            ["Ledger:ApiTokens:0:Token"] = Token,
            ["Ledger:ApiTokens:0:Access"] = "write",
        });
        var node = cluster.Nodes.Nodes[0];
        await node.WaitReadyAsync(cluster.Nodes.Http, TimeSpan.FromSeconds(60));

        var commandLine = Encoding.UTF8.GetString(await File.ReadAllBytesAsync($"/proc/{node.Pid}/cmdline")).Replace('\0', ' ');
        Assert.DoesNotContain(Secret, commandLine, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, commandLine, StringComparison.Ordinal);

        using (var anonymous = await KvClient.PutAsync(cluster.Nodes.Http, node.PublicUrl, "secret/a", "1"))
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Put, new Uri(node.PublicUrl, "/v1/kv/secret/a")) { Content = new StringContent("{\"value\":1}", Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var authorized = await cluster.Nodes.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, authorized.StatusCode);
        using var raft = new HttpRequestMessage(HttpMethod.Post, node.Spec.Member.Raft);
        raft.Headers.Add(GeoLedger.Cluster.ClusterSecret.HeaderName, "not-the-secret");
        using var refused = await cluster.Nodes.Http.SendAsync(raft);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }
}
