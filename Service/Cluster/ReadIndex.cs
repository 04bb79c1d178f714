using System.Globalization;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using GeoLedger.Ledger;
using Microsoft.Extensions.Options;

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
/// <remarks>
/// Reads on a follower share requests: one request is on the wire at a time, and every read that
/// arrives while it is answered waits for the next one, which is sent as soon as the current one is
/// answered. A read never joins a request sent before it arrived (that request's index could miss a
/// write acknowledged in between), so sharing keeps every read linearizable and turns N concurrent
/// reads into about two leader round trips instead of N.
/// </remarks>
public sealed class ReadIndex(ClusterView view, WriteAheadLog log, IHttpMessageHandlerFactory handlers, IOptions<LedgerOptions> options)
{
    /// <summary>The path the leader serves on its Raft port.</summary>
    public const string Path = "/geoledger/read-index";

    /// <summary>How long a read that arrives mid-election waits for a leader.</summary>
    private static readonly TimeSpan LeaderPatience = TimeSpan.FromSeconds(2);

    private readonly HttpClient http = new(handlers.CreateHandler(RaftHttpHandlerFactory.Name), disposeHandler: true);
    private readonly TimeSpan roundTimeout = TimeSpan.FromMilliseconds(options.Value.ReadTimeoutMs);
    private readonly Lock rounds = new();
    private bool roundOnTheWire; // guarded by rounds
    private TaskCompletionSource<long>? nextRound; // guarded by rounds: the round that reads arriving now join

    /// <summary>Waits until this node may serve a linearizable read.</summary>
    /// <exception cref="InvalidOperationException">No leader is known, or the leader could not confirm an index.</exception>
    public async Task WaitAsync(CancellationToken token)
    {
        var leader = await view.WaitForLeaderAsync(LeaderPatience, token).ConfigureAwait(false)
            ?? throw new InvalidOperationException("no leader is known");
        if (!leader.IsRemote)
        {
            await view.Raft.ApplyReadBarrierAsync(token).ConfigureAwait(false);
            return;
        }

        var index = await JoinRound().WaitAsync(token).ConfigureAwait(false);
        await log.WaitForApplyAsync(index, token).ConfigureAwait(false);
    }

    /// <summary>The round this read waits for: a new one sent now, or the next one when a round is on the wire.</summary>
    private Task<long> JoinRound()
    {
        TaskCompletionSource<long>? sendNow = null;
        Task<long> joined;
        lock (rounds)
        {
            if (roundOnTheWire)
            {
                nextRound ??= new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
                joined = nextRound.Task;
            }
            else
            {
                roundOnTheWire = true;
                sendNow = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
                joined = sendNow.Task;
            }
        }

        if (sendNow is not null)
            _ = RunRoundsAsync(sendNow);
        return joined;
    }

    /// <summary>Sends <paramref name="round"/>, then every round that readers joined meanwhile, one at a time.</summary>
    private async Task RunRoundsAsync(TaskCompletionSource<long> round)
    {
        while (true)
        {
            try
            {
                round.TrySetResult(await AskLeaderAsync().ConfigureAwait(false));
            }
            catch (Exception e)
            {
                round.TrySetException(e);
            }

            lock (rounds)
            {
                if (nextRound is null)
                {
                    roundOnTheWire = false;
                    return;
                }

                round = nextRound;
                nextRound = null;
            }
        }
    }

    /// <summary>One read-index request to whoever leads now; its own deadline, since many reads share it.</summary>
    private async Task<long> AskLeaderAsync()
    {
        using var deadline = new CancellationTokenSource(roundTimeout);
        // The leader now, not when the first read asked: it may have died (suspect) or changed since.
        var leader = await view.WaitForLeaderAsync(LeaderPatience, deadline.Token).ConfigureAwait(false)
            ?? throw new InvalidOperationException("no leader is known");
        if (!leader.IsRemote)
        {
            // Elected since the read asked: this node's own barrier covers the round.
            await view.Raft.ApplyReadBarrierAsync(deadline.Token).ConfigureAwait(false);
            return log.LastAppliedIndex;
        }

        var leaderMember = view.MemberOf(leader) ?? throw new InvalidOperationException("the leader is not in the member list");
        using var response = await http.PostAsync(new Uri(leaderMember.Raft, Path), content: null, deadline.Token).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"the leader answered {(int)response.StatusCode} to a read-index request");
        return long.Parse(await response.Content.ReadAsStringAsync(deadline.Token).ConfigureAwait(false), NumberStyles.None, CultureInfo.InvariantCulture);
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
