using System.Diagnostics;
using System.Globalization;
using DotNext.Net.Cluster.Consensus.Raft;
using GeoLedger.Ledger;
using GeoLedger.Storage;
using GeoLedger.Telemetry;
using Microsoft.Extensions.Options;

namespace GeoLedger.Cluster;

/// <summary>
/// Linearizable reads on a follower, by the read-index protocol (Raft thesis §6.4): the follower asks
/// the leader, over the Raft port, for an index that covers every write acknowledged before the
/// request; the leader answers once it knows it still leads (see below), and the follower then waits
/// until it has applied that index. .NEXT's own follower barrier is not used: its leader answers with
/// its commit index at once, without checking its term's first entry is committed, which right after
/// an election can miss writes the previous leader acknowledged (the fault suite caught such a stale
/// read).
/// </summary>
/// <remarks>
/// <para>
/// Reads on a follower share requests: one request is on the wire at a time, and every read that
/// arrives while it is answered waits for the next one, which is sent as soon as the current one is
/// answered. A read never joins a request sent before it arrived (that request's index could miss a
/// write acknowledged in between), so sharing keeps every read linearizable and turns N concurrent
/// reads into about two leader round trips instead of N. Rounds run on a thread of their own, which blocks on
/// each answer: in a cluster of up to three the question goes first as a UDP datagram
/// (<see cref="ReadIndexDatagram"/>), whose answer wakes that thread directly; a refusal, no answer in time,
/// or a larger cluster sends the round over HTTP to <see cref="Path"/> on the leader's Raft port.
/// </para>
/// <para>
/// The asking follower is the majority's second witness, so the leader needs no replication round of
/// its own: the request carries the follower's current term, read after every read sharing it began.
/// The leader answers its commit index at once when it leads in that same term and has committed its
/// term's first entry; otherwise it runs its full barrier. The shortcut holds in a cluster of two or
/// three members (larger ones always run the full barrier: <see cref="MaxMembersForWitness"/>), because
/// a write acknowledged before the read began was committed in some term. In a term below T it is in
/// the leader's log and below its term's first entry, hence below its commit index. In term T this
/// leader committed it. A leader of a term above T would have needed the votes of two of the three
/// members, but the follower was still in term T when it asked and the leader is still in term T when
/// it answers, and neither can have voted in a later term and gone back. This is etcd's ReadIndex with
/// the follower's request standing in for the heartbeat answer the leader would otherwise wait for.
/// </para>
/// </remarks>
public sealed class ReadIndex : IDisposable
{
    /// <summary>The path the leader serves on its Raft port.</summary>
    public const string Path = "/geoledger/read-index";

    /// <summary>The query parameter carrying the asking follower's current term.</summary>
    public const string TermParameter = "term";

    /// <summary>The query parameter carrying the asking node's Raft endpoint: only a voter is a witness.</summary>
    public const string MemberParameter = "member";

    /// <summary>The largest cluster in which the asking follower and the leader are a majority.</summary>
    private const int MaxMembersForWitness = 3;

    private readonly ClusterView view;
    private readonly LedgerLog log;
    private readonly LedgerMetrics metrics;
    private readonly HttpClient http;
    private readonly ReadIndexDatagramClient? datagrams;
    private readonly RaftVia via;
    private readonly TimeSpan roundTimeout;
    private readonly Lock rounds = new();
    private readonly SemaphoreSlim roundWanted = new(0);
    private bool roundOnTheWire; // guarded by rounds
    private Round? firstRound; // guarded by rounds: the round the thread sends next
    private Round? nextRound; // guarded by rounds: the round that reads arriving now join
    private Thread? roundThread; // guarded by rounds: started by the first read on a follower
    private volatile bool disposed;

    /// <summary>Read indices for <paramref name="view"/>'s node, over datagrams when <see cref="LedgerOptions.ReadIndexDatagrams"/> allows, else HTTP.</summary>
    public ReadIndex(ClusterView view, LedgerLog log, IHttpMessageHandlerFactory handlers, IOptions<LedgerOptions> options, ClusterSecret secret, RaftVia via, LedgerMetrics metrics, ILogger<ReadIndex> logger)
    {
        this.view = view;
        this.via = via;
        this.metrics = metrics;
        this.log = log;
        http = new HttpClient(handlers.CreateHandler(RaftHttpHandlerFactory.Name), disposeHandler: true);
        roundTimeout = TimeSpan.FromMilliseconds(options.Value.ReadTimeoutMs);
        if (options.Value.ReadIndexDatagrams)
            datagrams = new ReadIndexDatagramClient(ReadIndexDatagram.Key(secret), () => LogMessages.ReadIndexDatagramsOff(logger, (int)ReadIndexDatagramClient.Backoff.TotalSeconds));
    }

    /// <summary>Waits until this node may serve a linearizable read.</summary>
    /// <exception cref="InvalidOperationException">No leader is known, or the leader could not confirm an index.</exception>
    public async Task WaitAsync(CancellationToken token)
    {
        // Only whether this node leads is decided per read. Which leader to ask, waiting out an election or a leader
        // that may be gone, is the round's (AskLeader), once for every read sharing it: asking here too probed
        // the leader's socket (LeaderSuspicion) once per read.
        if (view.Raft.Leader is { IsRemote: false })
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
        Task<long> joined;
        lock (rounds)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (roundOnTheWire)
            {
                nextRound ??= new Round(Activity.Current);
                return nextRound.Task;
            }

            roundOnTheWire = true;
            firstRound = new Round(Activity.Current);
            joined = firstRound.Task;
            if (roundThread is null)
            {
                roundThread = new Thread(RunRounds) { IsBackground = true, Name = "read-index rounds" };
                roundThread.UnsafeStart(); // without the first read's execution context (its trace, its request)
            }
        }

        roundWanted.Release();
        return joined;
    }

    /// <summary>
    /// The round thread: sends each first round, then every round that readers joined meanwhile, one at a time,
    /// blocking on each answer (a thread of its own, so a datagram's answer wakes it directly, not through the pool).
    /// </summary>
    private void RunRounds()
    {
        while (true)
        {
            roundWanted.Wait();
            if (disposed)
            {
                datagrams?.Dispose();
                return;
            }

            Round round;
            lock (rounds)
            {
                round = firstRound!;
                firstRound = null;
            }

            while (true)
            {
                Activity.Current = round.Parent; // an HTTP round's call joins the trace of the read that opened the round
                try
                {
                    round.TrySetResult(AskLeader());
                }
                catch (Exception e)
                {
                    round.TrySetException(e);
                }
                finally
                {
                    Activity.Current = null;
                }

                lock (rounds)
                {
                    if (nextRound is null)
                    {
                        roundOnTheWire = false;
                        break;
                    }

                    round = nextRound;
                    nextRound = null;
                }
            }
        }
    }

    /// <summary>One read-index request to whoever leads now; its own deadline, since many reads share it.</summary>
    private long AskLeader()
    {
        using var deadline = new CancellationTokenSource(roundTimeout);
        // The leader now, not when the first read asked: it may have died (suspect) or changed since.
        var leader = view.WaitForLeaderAsync(deadline.Token).GetAwaiter().GetResult()
            ?? throw new InvalidOperationException("no leader is known");
        if (!leader.IsRemote)
        {
            // Elected since the read asked: this node's own barrier covers the round.
            view.Raft.ApplyReadBarrierAsync(deadline.Token).AsTask().GetAwaiter().GetResult();
            return log.AppliedIndex;
        }

        var leaderMember = view.MemberOf(leader) ?? throw new InvalidOperationException("the leader is not in the member list");
        var term = view.Raft.Term; // read now, after every read sharing this round began
        var self = view.Self.Raft.AbsoluteUri;
        if (datagrams is not null && view.Raft.Members.Count <= MaxMembersForWitness && via.DatagramEndpoint(leaderMember.Raft) is { } endpoint
            && datagrams.Ask(endpoint, term, self) is { } index)
        {
            metrics.ReadIndexRound("datagram");
            return index;
        }

        var answered = AskOverHttpAsync(leaderMember.Raft, term, self, deadline.Token).GetAwaiter().GetResult();
        metrics.ReadIndexRound("http");
        return answered;
    }

    private async Task<long> AskOverHttpAsync(Uri leader, long term, string self, CancellationToken token)
    {
        var uri = new Uri(leader, $"{Path}?{TermParameter}={term.ToString(CultureInfo.InvariantCulture)}&{MemberParameter}={Uri.EscapeDataString(self)}");
        using var response = await http.PostAsync(uri, content: null, token).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"the leader answered {(int)response.StatusCode} to a read-index request");
        return long.Parse(await response.Content.ReadAsStringAsync(token).ConfigureAwait(false), NumberStyles.None, CultureInfo.InvariantCulture);
    }

    /// <summary>Stops the round thread.</summary>
    public void Dispose()
    {
        lock (rounds)
            disposed = true;
        roundWanted.Release();
        http.Dispose();
    }

    /// <summary>One read-index round: the reads that joined it wait for its index; traced under the read that opened it.</summary>
    private sealed class Round(Activity? parent) : TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public Activity? Parent { get; } = parent;
    }

    /// <summary>
    /// The leader's side of a datagram (<see cref="RaftDatagramServer"/>): the witnessed commit index for a
    /// follower in <paramref name="askerTerm"/>, or null (refused: the follower asks over HTTP, which runs the full barrier).
    /// </summary>
    public static long? AnswerDatagram(ClusterView view, LedgerLog log, MembershipWitness witness, long askerTerm, string asker) =>
        view.Raft.Leader is { IsRemote: false } ? Witnessed(view, log, witness, askerTerm, asker) : null;

    /// <summary>
    /// This leader's commit index as witnessed by a follower in <paramref name="askerTerm"/> asking as <paramref name="asker"/>
    /// (its Raft endpoint), for both transports; null when it is no witness (no term, another term, not a voter, too many members).
    /// </summary>
    private static long? Witnessed(ClusterView view, LedgerLog log, MembershipWitness witness, long? askerTerm, string? asker)
    {
        // The witness must be a voter of the configuration counted (a learner or a removed node is none), and that
        // configuration must not lag one committed in an earlier term (see MembershipWitness).
        var members = witness.CountFor(asker);
        return askerTerm is { } term ? WitnessedCommitIndex(term, members, () => view.Raft.LeadershipToken, () => view.Raft.Term, () => log.CommitIndex) : null;
    }

    /// <summary>
    /// The leader's side: its commit index when the asking follower's term witnesses its leadership, otherwise
    /// its strong barrier and then its applied index; as plain text, or 409 when not the leader.
    /// </summary>
    public static async Task ServeAsync(HttpContext context)
    {
        var view = context.RequestServices.GetRequiredService<ClusterView>();
        var log = context.RequestServices.GetRequiredService<LedgerLog>();
        if (view.Raft.Leader is not { IsRemote: false })
        {
            context.Response.StatusCode = StatusCodes.Status409Conflict;
            return;
        }

        long index;
        var askerTerm = ParseTerm(context.Request.Query[TermParameter] is [{ } text] ? text : null);
        var asker = context.Request.Query[MemberParameter] is [{ } member] ? member : null;
        if (Witnessed(view, log, context.RequestServices.GetRequiredService<MembershipWitness>(), askerTerm, asker) is { } witnessed)
        {
            index = witnessed;
        }
        else
        {
            try
            {
                await view.Raft.ApplyReadBarrierAsync(context.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NotLeaderException or QuorumUnreachableException or InvalidOperationException)
            {
                context.Response.StatusCode = StatusCodes.Status409Conflict;
                return;
            }

            index = log.AppliedIndex;
        }

        context.Response.ContentType = "text/plain";
        await context.Response.WriteAsync(index.ToString(CultureInfo.InvariantCulture), context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The asking follower's term from the HTTP request's query text; null when absent or not a non-negative number.</summary>
    internal static long? ParseTerm(string? text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var term) ? term : null;

    /// <summary>
    /// This leader's commit index if <paramref name="term"/> equals this leader's term and this node leads in
    /// it with its term's first entry committed, from before reading the index to after; otherwise null.
    /// The leader's state comes as functions because the order of the reads is the point.
    /// </summary>
    internal static long? WitnessedCommitIndex(long term, int members, Func<CancellationToken> leadershipToken, Func<long> currentTerm, Func<long> commitIndex)
    {
        if (members > MaxMembersForWitness || term < 0)
            return null;
        try
        {
            // Valid only while this node leads and its term's first entry is committed (.NEXT's write barrier).
            var leadership = leadershipToken();
            var leaderTerm = currentTerm();
            var index = commitIndex();
            return !leadership.IsCancellationRequested && leaderTerm == term ? index : null;
        }
        catch (Exception e) when (e is System.Diagnostics.UnreachableException or ObjectDisposedException)
        {
            return null; // the node failed or is shutting down: the full barrier reports it
        }
    }
}
