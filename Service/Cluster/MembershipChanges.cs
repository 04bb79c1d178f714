using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Http;
using GeoLedger.Storage;
using Microsoft.AspNetCore.Connections;

namespace GeoLedger.Cluster;

/// <summary>
/// Adds and removes voting members on the leader, one at a time, through .NEXT's membership API: a new
/// member is first caught up as a learner (.NEXT's warmup rounds, while it counts toward no majority), then
/// a configuration entry naming it is committed by the old members' majority; from when that entry is
/// applied it votes and counts. Every change is idempotent, so a caller who got no answer (a leader died
/// mid-change) retries the same request until it gets one.
/// </summary>
public sealed class MembershipChanges(
    ClusterView view,
    IRaftHttpCluster raft,
    MemberDirectory directory,
    LedgerLog log,
    ClusterSecret secret,
    IHttpMessageHandlerFactory handlers,
    ILogger<MembershipChanges> logger)
{
    /// <summary>How long a change may take, catch-up included, before the caller is told its outcome is unknown.</summary>
    public static readonly TimeSpan ChangeTimeout = TimeSpan.FromSeconds(60);

    private readonly SemaphoreSlim oneAtATime = new(1, 1);
    private readonly HttpClient http = new(handlers.CreateHandler(RaftHttpHandlerFactory.Name), disposeHandler: true) { Timeout = TimeSpan.FromSeconds(5) };

    /// <summary>The voting members as this node's current configuration has them.</summary>
    public IReadOnlyList<ClusterMember> Voters() => view.Members().Select(m => m.Member).ToList();

    /// <summary>Adds <paramref name="member"/> as a voter; done at once when it already is one.</summary>
    public async Task<MembershipOutcome> AddAsync(ClusterMember member, CancellationToken token)
    {
        if (await NotLeaderAsync(token).ConfigureAwait(false) is { } notLeader)
            return notLeader;
        if (string.IsNullOrEmpty(secret.Value) && NodeTopology.LoopbackAddress(member.Raft) is null)
            return new MembershipOutcome.Invalid("Set Ledger:ClusterSecret before adding a member off loopback", $"Member '{member.Id}' has its Raft endpoint {member.Raft} off loopback, and this cluster runs Raft without a cluster secret.");
        if (IsVoter(member.Raft) is { } present)
        {
            if (present.Id == member.Id)
                return new MembershipOutcome.Done(Voters());
            return new MembershipOutcome.Conflict("The Raft endpoint belongs to another member: remove it first", $"Member '{present.Id}' has the Raft endpoint {member.Raft}.");
        }

        if (Voters().FirstOrDefault(m => m.Id == member.Id || NodeConfigLoader.SameEndpoint(m.Public, member.Public)) is { } clash)
            return new MembershipOutcome.Conflict("The id or public URL belongs to another member: remove it first or pick another", $"Member '{clash.Id}' (Raft {clash.Raft}, public {clash.Public}) is a voter.");
        if (view.Raft.Members.Count >= LedgerNode.MaxMembers)
            return new MembershipOutcome.Conflict($"The cluster has {LedgerNode.MaxMembers} members, the most GeoLedger takes: remove one first", "Clusters of 1 to 7 members are supported.");

        MemberInfo info;
        try
        {
            info = await MemberInfo.AskAsync(http, member.Raft, token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or System.Text.Json.JsonException or UriFormatException or KeyNotFoundException or InvalidOperationException or TaskCanceledException)
        {
            return new MembershipOutcome.Unavailable(
                "The new node does not answer on its Raft endpoint: start it first",
                $"Start the node with an empty data folder, the cluster secret, and a node config listing the current members plus itself; {member.Raft} did not answer ({e.Message}). Nothing was changed.");
        }

        if (info.Self.Id != member.Id || !NodeConfigLoader.SameEndpoint(info.Self.Public, member.Public) || !NodeConfigLoader.SameEndpoint(info.Self.Raft, member.Raft))
            return new MembershipOutcome.Invalid(
                "The node at that Raft endpoint is not the member described: fix the request or its node config",
                $"The node at {member.Raft} says it is '{info.Self.Id}' (Raft {info.Self.Raft}, public {info.Self.Public}); the request says '{member.Id}' (public {member.Public}).");

        return await ChangeAsync(member.Id, async t =>
        {
            directory.Learn(member); // named before it appears in the configuration, so no node shows it unnamed for long
            LogMessages.MembershipChangeStarted(logger, "add", member.Id, member.Raft);
            var added = await raft.AddMemberAsync(member.Raft, t).ConfigureAwait(false);
            if (!added && IsVoter(member.Raft) is null)
            {
                return new MembershipOutcome.Unavailable(
                    "The new member did not catch up: retry, or raise Raft:warmupRounds",
                    $"'{member.Id}' did not reach the leader's commit index within the warmup rounds (or rejected the leader); it is not a member. Retrying is safe.");
            }

            await WaitUntilAsync(() => IsVoter(member.Raft) is not null, t).ConfigureAwait(false);
            return new MembershipOutcome.Done(Voters());
        }, token).ConfigureAwait(false);
    }

    /// <summary>Removes the member named <paramref name="id"/>; done at once when it is not a voter (any more).</summary>
    public async Task<MembershipOutcome> RemoveAsync(string id, CancellationToken token)
    {
        if (await NotLeaderAsync(token).ConfigureAwait(false) is { } notLeader)
            return notLeader;
        var member = Voters().FirstOrDefault(m => m.Id == id);
        if (member is null)
            return directory.FindById(id) is null ? new MembershipOutcome.NotFound(id) : new MembershipOutcome.Done(Voters());
        if (view.Raft.Members.Count == 1)
            return new MembershipOutcome.Conflict("The last member cannot be removed", $"'{id}' is the only voting member.");

        return await ChangeAsync(id, async t =>
        {
            LogMessages.MembershipChangeStarted(logger, "remove", id, member.Raft);
            var removed = await raft.RemoveMemberAsync(member.Raft, t).ConfigureAwait(false);
            if (!removed && IsVoter(member.Raft) is not null)
                return new MembershipOutcome.Unavailable("The removal was not committed: retry", $"'{id}' is still a member. Retrying is safe.");
            await WaitUntilAsync(() => IsVoter(member.Raft) is null, t).ConfigureAwait(false);
            return new MembershipOutcome.Done(Voters());
        }, token).ConfigureAwait(false);
    }

    /// <summary>Runs one change: alone, on a leader whose log holds no configuration it has not applied, within <see cref="ChangeTimeout"/>.</summary>
    private async Task<MembershipOutcome> ChangeAsync(string id, Func<CancellationToken, Task<MembershipOutcome>> change, CancellationToken token)
    {
        if (!await oneAtATime.WaitAsync(0, token).ConfigureAwait(false))
            return new MembershipOutcome.Conflict("Another membership change is in flight: retry when it has finished", "Members are added and removed one at a time.");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
        deadline.CancelAfter(ChangeTimeout);
        var started = false;
        try
        {
            await ApplyEverythingLoggedAsync(deadline.Token).ConfigureAwait(false);
            started = true;
            var outcome = await change(deadline.Token).ConfigureAwait(false);
            LogMessages.MembershipChangeEnded(logger, id, outcome.GetType().Name);
            return outcome;
        }
        catch (Exception e) when (e.GetType().Name == "ConcurrentMembershipModificationException")
        {
            // .NEXT's own guard (a nested type of its internal HTTP cluster's base, so matched by name)
            return new MembershipOutcome.Conflict("Another membership change is in flight: retry when it has finished", "Members are added and removed one at a time.");
        }
        catch (Exception e) when (e is NotLeaderException or OperationCanceledException or QuorumUnreachableException or InvalidOperationException or TimeoutException or IOException)
        {
            if (!started)
                return new MembershipOutcome.Unavailable("The leader could not start the change: retry", $"Nothing was changed ({e.GetType().Name}: {e.Message}).");
            LogMessages.MembershipChangeUnknown(logger, id, e.Message);
            return new MembershipOutcome.Unknown($"{e.GetType().Name}: {e.Message}");
        }
        finally
        {
            oneAtATime.Release();
        }
    }

    /// <summary>
    /// Works around .NEXT 6.12: AddMemberAsync and RemoveMemberAsync read the current configuration before they
    /// commit their term's barrier entry, so a configuration entry of an earlier term still in the log (a leader
    /// died mid-change) is applied meanwhile and then overwritten by a list computed without it: two changes in
    /// one step. Committing this term's barrier and applying every entry in the log first leaves nothing to apply.
    /// </summary>
    private async Task ApplyEverythingLoggedAsync(CancellationToken token)
    {
        await view.Raft.ApplyReadBarrierAsync(token).ConfigureAwait(false);
        var last = log.LastIndex;
        await WaitUntilAsync(() => log.AppliedIndex >= last, token).ConfigureAwait(false);
        if (!view.IsLeader)
            throw new NotLeaderException();
    }

    private async Task<MembershipOutcome?> NotLeaderAsync(CancellationToken token)
    {
        var leader = await view.WaitForLeaderAsync(token).ConfigureAwait(false);
        return leader is { IsRemote: false } ? null : new MembershipOutcome.NotLeader(leader is null ? null : view.MemberOf(leader));
    }

    private ClusterMember? IsVoter(Uri raftEndpoint) =>
        view.Raft.Members.Any(m => m.EndPoint is UriEndPoint uri && NodeConfigLoader.SameEndpoint(uri.Uri, raftEndpoint))
            ? directory.Find(raftEndpoint) ?? new ClusterMember(ReplicationProbe.MemberKey(raftEndpoint), "unknown", raftEndpoint, raftEndpoint)
            : null;

    /// <summary>Waits for a condition the applier or .NEXT's configuration loop makes true; both run on their own.</summary>
    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken token)
    {
        while (!condition())
            await Task.Delay(10, token).ConfigureAwait(false);
    }
}
