using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using GeoLedger.Cluster;
using GeoLedger.LocalCluster;

namespace GeoLedger.Tests.MultiNode;

[Collection(MultiNodeCollection.Name)]
public sealed class ArticleCommandLineTests
{
    [Fact]
    public async Task Three_nodes_started_with_the_articles_command_line_on_127_0_0_1_2_3_form_a_cluster()
    {
        var root = Path.Combine(Path.GetTempPath(), "geoledger-article-tests", Guid.NewGuid().ToString("N"));
        var clientPort = PortAllocator.Next();
        var raftPort = PortAllocator.Next();
        var hosts = new[] { "127.0.0.1", "127.0.0.2", "127.0.0.3" };
        var memberArgs = hosts.SelectMany((h, i) => new[] { $"--members:{i}", $"http://{h}:{clientPort}" }).ToList();
        var output = new List<string>();
        var nodes = hosts.Select((host, i) =>
        {
            var spec = new NodeSpec(
                new ClusterMember($"node-{i}", "default", new Uri($"http://{host}:{raftPort}/"), new Uri($"http://{host}:{clientPort}/")),
                Path.Combine(root, $"node-{i}"));
            var args = new List<string> { "--urls", $"http://{host}:{clientPort}" };
            args.AddRange(memberArgs);
            args.AddRange(["--hostAddressHint", host]);
            return new NodeProcess(spec, new Dictionary<string, string> { ["Ledger:RaftPort"] = raftPort.ToString() }, line => { lock (output) output.Add(line); }, args);
        }).ToList();
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseProxy = false });
        try
        {
            foreach (var node in nodes)
                node.Start();
            foreach (var node in nodes)
                await node.WaitReadyAsync(http, TimeSpan.FromSeconds(60));

            var leaders = new HashSet<string?>();
            foreach (var node in nodes)
            {
                var view = await http.GetFromJsonAsync<JsonElement>(new Uri(node.PublicUrl, "/v1/cluster"));
                Assert.Equal(node.Id, view.GetProperty("node").GetProperty("id").GetString());
                Assert.Equal(3, view.GetProperty("members").GetArrayLength());
                leaders.Add(view.GetProperty("leader").GetProperty("id").GetString());
            }

            Assert.Single(leaders);
            var leader = nodes.Single(n => n.Id == leaders.Single());
            var follower = nodes.First(n => n != leader);
            var other = nodes.Last(n => n != leader);

            // The article's walk-through: write to a follower (the redirect names the leader's public URL), read on the other follower.
            using var redirect = await http.PutAsync(new Uri(follower.PublicUrl, "/5"), new StringContent("{\"state\":\"up\"}", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.TemporaryRedirect, redirect.StatusCode);
            Assert.Equal(new Uri(leader.PublicUrl, "/5"), redirect.Headers.Location);
            using var put = await http.PutAsync(redirect.Headers.Location, new StringContent("{\"state\":\"up\"}", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);

            var read = await http.GetFromJsonAsync<JsonElement>(new Uri(other.PublicUrl, "/5"));
            Assert.Equal("up", read.GetProperty("state").GetString());
            Assert.Equal(leader.PublicUrl.AbsoluteUri, read.GetProperty("leader").GetString());
            Assert.Equal(other.PublicUrl.AbsoluteUri, read.GetProperty("current").GetString());
            Assert.Equal(5, read.GetProperty("id").GetInt32());
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{e.Message}\n--- node output ---\n{string.Join('\n', output)}\n{e}");
        }
        finally
        {
            foreach (var node in nodes)
                await node.DisposeAsync();
            if (Directory.Exists(root))
                Directory.Delete(root, recursive: true);
        }
    }
}
