using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace GeoLedger.Tests.MultiNode;

/// <summary>
/// A node being added is a learner until the member list naming it is committed: it counts toward no majority
/// and is asked for no vote. Here the learner cannot catch up (every append it gets waits 3 s, past the leader's
/// rpc timeout), and the cluster neither waits for it nor lets it vote.
/// </summary>
[Collection(MultiNodeCollection.Name)]
public sealed class LearnerTests
{
    [Fact]
    public async Task A_learner_that_has_not_caught_up_counts_toward_no_commit_and_is_asked_for_no_vote()
    {
        await using var cluster = await TestCluster.StartAsync(3);
        await cluster.WithOutputOnFailureAsync(async () =>
        {
            var http = cluster.Nodes.Http;
            var leader = await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            using (var seed = await KvClient.PutAsync(http, leader.PublicUrl, "before", "1"))
                Assert.Equal(HttpStatusCode.OK, seed.StatusCode);

            var voters = cluster.Nodes.Nodes.ToList();
            var members = await cluster.Nodes.MembersSeenByAsync(leader);
            var learner = cluster.Nodes.StartJoining("node-3", members, new Dictionary<string, string> { ["Ledger:TestAppendDelayMs"] = "3000" });
            await Conditions.WaitUntilAsync(async () => (await MembershipClient.ClusterSeenByAsync(http, learner)) is not null, TimeSpan.FromSeconds(60), "the learner answers");
            var outputBefore = cluster.Output.Length;
            var adding = MembershipClient.SendAsync(http, leader.PublicUrl, HttpMethod.Post, "/v1/cluster/members", MembershipClient.AddBody(learner.Spec.Member));
            await Conditions.WaitUntilAsync(() => Task.FromResult(cluster.Output[outputBefore..].Contains($"[{leader.Id}]", StringComparison.Ordinal) && cluster.Output[outputBefore..].Contains("Membership change started: add node-3", StringComparison.Ordinal)), TimeSpan.FromSeconds(60), "the leader starts adding the learner");

            // Writes commit without the learner, and no voter lists it.
            using (var write = await KvClient.PutAsync(http, leader.PublicUrl, "while-learning", "2"))
                Assert.Equal(HttpStatusCode.OK, write.StatusCode);
            foreach (var voter in voters)
                Assert.Equal(["node-0", "node-1", "node-2"], (await MembershipClient.ClusterSeenByAsync(http, voter))!.Value.Members);

            // The leader dies mid-change: the other two elect a leader without the learner's vote.
            var termBefore = await TermAsync(http, learner);
            await leader.KillAsync();
            var survivors = voters.Where(v => v != leader).ToList();
            var next = await cluster.Nodes.WaitForLeaderAsync(TimeSpan.FromSeconds(30), survivors);
            var newTerm = await TermAsync(http, next);
            Assert.True(newTerm > termBefore, $"the new leader's term {newTerm} is not above the learner's {termBefore}");
            Assert.True(await TermAsync(http, learner) < newTerm, "the learner moved to the new term: someone asked it for a vote");
            Assert.DoesNotContain("node-3", (await MembershipClient.ClusterSeenByAsync(http, next))!.Value.Members);
            var answer = await adding;
            Assert.NotEqual(HttpStatusCode.OK, answer.Status);

            // Started again without the delay, the same node catches up and becomes a voter.
            leader.Start();
            await learner.StopAsync();
            cluster.Nodes.StartJoining(learner.Spec, members);
            await MembershipClient.UntilDoneAsync(cluster.Nodes, () => voters.Where(v => v.IsRunning).ToList(), HttpMethod.Post, "/v1/cluster/members", MembershipClient.AddBody(learner.Spec.Member), TimeSpan.FromSeconds(90));
            foreach (var voter in voters)
                await Conditions.WaitUntilAsync(async () => (await MembershipClient.ClusterSeenByAsync(http, voter))?.Members.Contains("node-3") == true, TimeSpan.FromSeconds(60), $"{voter.Id} lists node-3");
        });
    }

    private static async Task<long> TermAsync(HttpClient http, GeoLedger.LocalCluster.NodeProcess node)
    {
        var doc = await http.GetFromJsonAsync<JsonElement>(new Uri(node.PublicUrl, "/v1/cluster"));
        return doc.GetProperty("term").GetInt64();
    }
}
