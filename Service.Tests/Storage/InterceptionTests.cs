using System.Net;
using System.Net.Http.Json;
using System.Reflection;
using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using GeoLedger.LocalCluster;
using GeoLedger.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GeoLedger.Tests.Storage;

/// <summary>
/// Proof that .NEXT reaches GeoLedger's log for every append, commit and replication read: if a .NEXT
/// upgrade added a log member, or called the log another way, these fail instead of the durability and
/// commit-rule fixes silently turning off.
/// </summary>
[Collection(MultiNode.MultiNodeCollection.Name)]
public sealed class InterceptionTests
{
    [Theory]
    [InlineData(typeof(IAuditTrail<IRaftLogEntry>))]
    [InlineData(typeof(IAuditTrail))]
    public void Every_member_of_the_log_interfaces_dotnext_calls_is_implemented_by_GeoLedgers_log(Type logInterface)
    {
        var map = typeof(LedgerLog).GetInterfaceMap(logInterface);

        // IAuditTrail<T> carries a private default body for IAuditTrail.ReadAsync (an override of another
        // interface's member): that slot is dispatched through IAuditTrail's own map, checked by its own case.
        var elsewhere = map.InterfaceMethods.Zip(map.TargetMethods)
            .Where(pair => !(pair.First.IsPrivate && pair.First.DeclaringType == logInterface && pair.First.Name.Contains('.', StringComparison.Ordinal)))
            .Where(pair => pair.Second.DeclaringType != typeof(LedgerLog))
            .Select(pair => $"{pair.First.Name} -> {pair.Second.DeclaringType}.{pair.Second.Name}")
            .ToList();
        Assert.True(elsewhere.Count == 0, $"{logInterface.Name} members that do not reach LedgerLog: {string.Join(", ", elsewhere)}");
    }

    [Fact]
    public void The_only_members_left_to_dotnexts_own_log_are_the_term_the_vote_and_the_configuration_storage()
    {
        var map = typeof(LedgerLog).GetInterfaceMap(typeof(IPersistentState));
        var toBase = map.InterfaceMethods.Zip(map.TargetMethods)
            .Where(pair => pair.Second.DeclaringType == typeof(WriteAheadLog))
            .Select(pair => pair.First.Name)
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.Equal(
            ["IncrementTermAsync", "IsVotedFor", "UpdateTermAsync", "UpdateVotedForAsync", "get_ConfigurationStorage", "get_Term", "get_Version", "set_ConfigurationStorage"],
            toBase);
    }

    [Fact]
    public void Members_of_dotnexts_log_that_would_reach_its_own_storage_are_hidden_on_GeoLedgers_log()
    {
        // A LedgerLog-typed call must not land on .NEXT's unused storage: every public instance member of
        // WriteAheadLog that touches the log is redeclared (new) or overridden by LedgerLog.
        string[] logMembers = ["LastEntryIndex", "LastCommittedEntryIndex", "LastAppliedIndex", "AppendAsync", "CommitAsync", "ReadAsync", "WaitForApplyAsync", "InitializeAsync", "FlushAsync", "ImportAsync"];
        foreach (var name in logMembers)
        {
            var baseMembers = typeof(WriteAheadLog).GetMember(name, BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly);
            var ours = typeof(LedgerLog).GetMember(name, BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly);
            Assert.True(ours.Length >= baseMembers.Length, $"WriteAheadLog has {baseMembers.Length} public '{name}' members, LedgerLog redeclares {ours.Length}");
        }
    }

    [Fact]
    public async Task In_a_running_three_node_cluster_dotnext_appends_commits_and_replicates_through_GeoLedgers_log()
    {
        using var folder = new TempFolder();
        var layout = ClusterLayout.OnLoopback(folder.Path, 3);
        layout.WriteNodeConfigs();
        await using var nodes = await InProcessNodes.StartAsync(layout);
        var apps = nodes.Apps.Select(a => a!).ToList();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var written = 0;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (written < 20)
        {
            deadline.Token.ThrowIfCancellationRequested();
            foreach (var node in layout.Nodes)
            {
                using var response = await http.PutAsJsonAsync(new Uri(node.Member.Public, $"/v1/kv/intercepted-{written}"), new { value = written }, deadline.Token);
                if (response.StatusCode == HttpStatusCode.OK)
                    written++;
            }
        }

        var logs = apps.Select(a => a.Services.GetRequiredService<LedgerLog>()).ToList();
        var leader = apps.Where(a => a.Services.GetRequiredService<IRaftCluster>().Leader is { IsRemote: false })
            .Select(a => a.Services.GetRequiredService<LedgerLog>()).Single();
        Assert.True(leader.Calls.LeaderAppend > 0 && leader.Calls.ReplicationRead > 0, "the leader's appends or replication reads bypassed the log");
        // The leader commits as acknowledgements arrive (.NEXT's own commit call then finds nothing left to do).
        Assert.True(leader.Calls.Acknowledgement > 0, "the leader attributed no acknowledgement to a member");
        Assert.True(leader.CommitIndex >= 20);
        foreach (var follower in logs.Where(l => l != leader))
        {
            Assert.True(follower.Calls.FollowerAppend > 0, "a follower's appends bypassed the log");
            Assert.True(follower.Calls.Commit > 0, "a follower's commits bypassed the log");
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await follower.WaitForApplyAsync(leader.CommitIndex, wait.Token);
        }

        Assert.All(leader.Acknowledged.Values, acknowledged => Assert.True(acknowledged >= 20));
        Assert.Equal(2, leader.Acknowledged.Count);
    }
}
