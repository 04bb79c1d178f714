using System.Globalization;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace GeoLedger.Cluster;

/// <summary>
/// Linearizable reads on a follower, by the read-index protocol (Raft thesis §6.4): the follower asks
/// the leader, over the Raft port, for an index that covers every write acknowledged before the
/// request; the leader answers only after its own strong read barrier (its current term's entry is
/// committed and a replication round reached a majority); the follower then waits until it has
/// applied that index. .NEXT's own follower barrier is not used: its leader answers with its commit
/// index at once, which right after an election can miss writes the previous leader acknowledged
/// (the fault suite caught such a stale read).
/// </summary>
public sealed class ReadIndex(ClusterView view, WriteAheadLog log, IHttpMessageHandlerFactory handlers)
{
    /// <summary>The path the leader serves on its Raft port.</summary>
    public const string Path = "/geoledger/read-index";

    private readonly HttpClient http = new(handlers.CreateHandler(RaftHttpHandlerFactory.Name), disposeHandler: true);

    /// <summary>Waits until this node may serve a linearizable read.</summary>
    /// <exception cref="InvalidOperationException">No leader is known, or the leader could not confirm an index.</exception>
    public async Task WaitAsync(CancellationToken token)
    {
        var leader = await view.WaitForLeaderAsync(TimeSpan.FromSeconds(2), token).ConfigureAwait(false)
            ?? throw new InvalidOperationException("no leader is known");
        if (!leader.IsRemote)
        {
            await view.Raft.ApplyReadBarrierAsync(token).ConfigureAwait(false);
            return;
        }

        var leaderMember = view.MemberOf(leader) ?? throw new InvalidOperationException("the leader is not in the member list");
        using var response = await http.PostAsync(new Uri(leaderMember.Raft, Path), content: null, token).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"the leader answered {(int)response.StatusCode} to a read-index request");
        var index = long.Parse(await response.Content.ReadAsStringAsync(token).ConfigureAwait(false), NumberStyles.None, CultureInfo.InvariantCulture);
        await log.WaitForApplyAsync(index, token).ConfigureAwait(false);
    }

    /// <summary>The leader's side: the strong barrier, then the applied index as plain text; 409 when not the leader.</summary>
    public static async Task ServeAsync(HttpContext context)
    {
        var view = context.RequestServices.GetRequiredService<ClusterView>();
        var log = context.RequestServices.GetRequiredService<WriteAheadLog>();
        if (view.Raft.Leader is not { IsRemote: false })
        {
            context.Response.StatusCode = StatusCodes.Status409Conflict;
            return;
        }

        try
        {
            await view.Raft.ApplyReadBarrierAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NotLeaderException or QuorumUnreachableException or InvalidOperationException)
        {
            context.Response.StatusCode = StatusCodes.Status409Conflict;
            return;
        }

        context.Response.ContentType = "text/plain";
        await context.Response.WriteAsync(log.LastAppliedIndex.ToString(CultureInfo.InvariantCulture), context.RequestAborted).ConfigureAwait(false);
    }
}
