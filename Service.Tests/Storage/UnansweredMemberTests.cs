using System.Net;
using System.Net.Http.Json;
using DotNext.Net.Cluster.Consensus.Raft;
using GeoLedger.LocalCluster;
using GeoLedger.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace GeoLedger.Tests.Storage;

/// <summary>
/// A leader with a dead follower: .NEXT retries the follower on every replication round, and the log
/// used to read everything the follower lacks (up to a 1 MiB batch) for each retry, only to have the
/// send refused: up to 1 MiB of garbage per round, 98 KB per write instead of 12 under 64 writers,
/// and dozens more gen2 collections on the leader.
/// </summary>
[Collection(MultiNode.MultiNodeCollection.Name)]
public sealed class UnansweredMemberTests
{
    [Fact]
    public async Task A_member_that_did_not_answer_is_sent_one_entry_per_round_until_it_answers_again()
    {
        using var folder = new TempFolder();
        var layout = ClusterLayout.OnLoopback(folder.Path, 3);
        layout.WriteNodeConfigs();
        await using var nodes = await InProcessNodes.StartAsync(layout);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(120));

        var leaderAt = -1;
        while (leaderAt < 0)
        {
            deadline.Token.ThrowIfCancellationRequested();
            foreach (var (app, i) in nodes.Apps.Select((a, i) => (a!, i)))
            {
                using var response = await http.PutAsJsonAsync(new Uri(layout.Nodes[i].Member.Public, "/v1/kv/warm-up"), new { value = 0 }, deadline.Token);
                if (response.StatusCode == HttpStatusCode.OK && app.Services.GetRequiredService<IRaftCluster>().Leader is { IsRemote: false })
                    leaderAt = i;
            }
        }

        var leader = nodes.Apps[leaderAt]!.Services.GetRequiredService<LedgerLog>();
        var deadAt = (leaderAt + 1) % 3;
        await nodes.StopAsync(deadAt);

        const int Writes = 300;
        var value = new string('v', 1024);
        var probesBefore = Interlocked.Read(ref leader.Calls.ProbeOfUnansweredMember);
        var entriesBefore = Interlocked.Read(ref leader.Calls.ReplicationEntries);
        for (var i = 0; i < Writes; i++)
        {
            using var response = await http.PutAsJsonAsync(new Uri(layout.Nodes[leaderAt].Member.Public, $"/v1/kv/while-one-is-dead-{i}"), new { value }, deadline.Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var probes = Interlocked.Read(ref leader.Calls.ProbeOfUnansweredMember) - probesBefore;
        var entries = Interlocked.Read(ref leader.Calls.ReplicationEntries) - entriesBefore;
        Assert.True(probes > 0, "no replication read to the dead member was cut to one entry");
        // The live follower is sent each entry about once; the dead one at most one entry per round. Reading
        // all it lacks on every round is quadratic: about Writes² / 2 entries (45,000 here).
        Assert.True(entries <= 4 * Writes, $"{entries:N0} entries read for replication during {Writes} writes with one member dead ({probes} rounds cut to one entry)");
    }
}
