using System.Diagnostics;
using System.Globalization;
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft.Http;
using GeoLedger.Storage;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace GeoLedger.Cluster;

/// <summary>A leadership transfer this node started or took part in, for <c>/v1/cluster</c>.</summary>
/// <param name="From">The leader that handed over.</param>
/// <param name="To">The member it handed over to.</param>
/// <param name="StartedAt">When the transfer began.</param>
/// <param name="Outcome"><c>in progress</c>, <c>succeeded</c> or <c>failed</c>.</param>
/// <param name="TookMs">From the start until the target led or the transfer gave up; null while in progress.</param>
/// <param name="Reason">Why it failed; null otherwise.</param>
public sealed record LeaderTransfer(string From, string To, DateTimeOffset StartedAt, string Outcome, long? TookMs, string? Reason);

/// <summary>
/// Keeps the leader where the node config prefers it (members' <c>priority</c>): on the leader, a check every
/// <see cref="CheckInterval"/> hands leadership to the member of highest priority above its own once that member is
/// caught up (<see cref="LeaderPreferenceRules"/>), never while a transfer is in flight or the membership changes,
/// and with a backoff after a failed transfer.
/// </summary>
/// <remarks>
/// .NEXT 6.12 has no leadership transfer, so it is made from its standby mode (<see cref="LeaderPreferenceHold"/>), in
/// three steps. First the target catches up to this leader's last entry (a voter refuses a candidate whose log is
/// shorter than its own; the leader still leads meanwhile). Then every other member holds its election, and the leader
/// steps down and holds its own: the target is the only member that stands, its log is as long as anyone's, so it
/// wins the election its timer starts. A transfer that has not made the target leader within <see cref="Window"/>
/// of the step-down gives up: every hold ends by itself and a normal election follows, so a failed attempt costs at
/// most one window without a leader. So once the preferred member holds the leader's last entry, it leads within
/// <see cref="Bound"/> (the bound the cluster test holds it to) unless an attempt fails.
/// </remarks>
public sealed class LeaderPreference : BackgroundService
{
    /// <summary>How often the leader weighs a transfer.</summary>
    public static readonly TimeSpan CheckInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>Election timeouts a transfer may take: the target's timer fires within one, a split pre-vote costs another.</summary>
    public const int WindowInElectionTimeouts = 6;

    /// <summary>How often a transfer looks whether its target has the last entry yet (a match index has no change event).</summary>
    private static readonly TimeSpan CatchUpPoll = TimeSpan.FromMilliseconds(10);

    private readonly ClusterView view;
    private readonly LedgerLog log;
    private readonly LeaderPreferenceHold hold;
    private readonly ILogger<LeaderPreference> logger;
    private readonly HttpClient http;
    private readonly TransferBackoff backoff = new();
    private int pauses;
    private int inFlight;
    private PreferenceDecision lastLogged;
    private LeaderTransfer? last;

    /// <summary>The preference of <paramref name="view"/>'s members, carried out through <paramref name="hold"/>.</summary>
    public LeaderPreference(ClusterView view, LedgerLog log, LeaderPreferenceHold hold, IHttpMessageHandlerFactory handlers, IOptions<HttpClusterMemberConfiguration> raft, ILogger<LeaderPreference> logger)
    {
        this.view = view;
        this.log = log;
        this.hold = hold;
        this.logger = logger;
        http = new HttpClient(handlers.CreateHandler(RaftHttpHandlerFactory.Name), disposeHandler: true);
        Window = TimeSpan.FromMilliseconds(raft.Value.UpperElectionTimeout * WindowInElectionTimeouts);
        http.Timeout = 2 * Window;
        hold.Started += (from, to) =>
        {
            if (from != view.Self.Id)
                Volatile.Write(ref last, new LeaderTransfer(from, to, DateTimeOffset.UtcNow, "in progress", null, null));
        };
        hold.Ended += (to, succeeded) =>
        {
            // A hold this node took for another leader's transfer; its own transfers record their outcome themselves.
            if (Volatile.Read(ref last) is { Outcome: "in progress" } held && held.From != view.Self.Id && held.To == to)
            {
                var took = (long)(DateTimeOffset.UtcNow - held.StartedAt).TotalMilliseconds;
                Volatile.Write(ref last, held with { Outcome = succeeded ? "succeeded" : "failed", TookMs = took, Reason = succeeded ? null : $"{to} did not become leader while this node held its election" });
            }
        };
    }

    /// <summary>How long a transfer may take before it gives up.</summary>
    public TimeSpan Window { get; }

    /// <summary>
    /// The longest time from a preferred member holding the leader's last entry to its leading, when the attempt succeeds:
    /// one <see cref="CheckInterval"/>, at most one <see cref="Window"/> for the other members' holds, one for the election.
    /// </summary>
    public TimeSpan Bound => BoundFor(Window);

    /// <summary><see cref="Bound"/> for a given <see cref="Window"/>.</summary>
    public static TimeSpan BoundFor(TimeSpan window) => CheckInterval + 2 * window;

    /// <summary>The last transfer this node started or took part in (a hold), or null.</summary>
    public LeaderTransfer? LastTransfer => Volatile.Read(ref last);

    /// <summary>True while this node runs a transfer.</summary>
    public bool TransferInFlight => Volatile.Read(ref inFlight) != 0;

    /// <summary>
    /// No transfer starts until the returned handle is disposed: wrap a membership change in it, and begin the change
    /// once <see cref="TransferInFlight"/> is false (a transfer already running ends within its windows). Transfers also
    /// wait by themselves while .NEXT's member list differs from the node config's.
    /// </summary>
    public IDisposable PauseTransfers()
    {
        Interlocked.Increment(ref pauses);
        return new Pause(this);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(CheckInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    await CheckAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    LogMessages.LeaderPreferenceCheckFailed(logger, e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // the node is stopping
        }
    }

    /// <summary>One check: weigh a transfer as the leader, and start it when the rules say so.</summary>
    private async Task CheckAsync(CancellationToken token)
    {
        if (!view.IsLeader || view.Config.Preferred is null)
            return;
        var commit = view.CommitIndex;
        var members = view.Members()
            .Select(m => new MemberProgress(m.Member.Id, m.Member.Priority, view.MatchIndexOf(m.Member), m.Status == "available"))
            .ToList();
        var decision = LeaderPreferenceRules.Decide(view.Self.Id, members, commit, TransferInFlight, MembershipSettled(), DateTimeOffset.UtcNow, backoff.Until);
        if (decision != lastLogged && decision.Verdict is PreferenceVerdict.Lagging or PreferenceVerdict.MembershipChanging or PreferenceVerdict.BackingOff)
            LogMessages.LeaderTransferWaiting(logger, decision.Target ?? "?", decision.Verdict.ToString());
        lastLogged = decision;
        if (decision.Verdict == PreferenceVerdict.Transfer)
            await TransferAsync(view.Config.Members.First(m => m.Id == decision.Target), commit, token).ConfigureAwait(false);
    }

    /// <summary>
    /// True when .NEXT's members are exactly the node config's and no pause is taken: a membership change under way
    /// (a configuration entry appended, not yet in the node config) shows as a difference.
    /// </summary>
    private bool MembershipSettled()
    {
        if (Volatile.Read(ref pauses) > 0)
            return false;
        var raftMembers = view.Raft.Members;
        if (raftMembers.Count != view.Config.Members.Count)
            return false;
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var member in raftMembers)
        {
            if (view.MemberOf(member) is not { } known || !ids.Add(known.Id))
                return false;
        }

        return true;
    }

    private async Task TransferAsync(ClusterMember target, long commit, CancellationToken token)
    {
        if (Interlocked.Exchange(ref inFlight, 1) != 0)
            return;
        var started = Stopwatch.GetTimestamp();
        var from = view.Self.Id;
        Volatile.Write(ref last, new LeaderTransfer(from, target.Id, DateTimeOffset.UtcNow, "in progress", null, null));
        LogMessages.LeaderTransferStarting(logger, target.Id, target.Priority, view.MatchIndexOf(target), commit, (long)Window.TotalMilliseconds);
        string? failure;
        try
        {
            failure = await RunTransferAsync(target, token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !token.IsCancellationRequested)
        {
            failure = e.Message;
        }
        finally
        {
            Volatile.Write(ref inFlight, 0);
        }

        var took = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        Volatile.Write(ref last, new LeaderTransfer(from, target.Id, last!.StartedAt, failure is null ? "succeeded" : "failed", took, failure));
        if (failure is null)
        {
            backoff.Succeeded();
            LogMessages.LeaderTransferred(logger, target.Id, took);
        }
        else
        {
            backoff.Failed(DateTimeOffset.UtcNow);
            LogMessages.LeaderTransferFailed(logger, target.Id, took, failure, (long)(backoff.Until - DateTimeOffset.UtcNow).TotalMilliseconds);
        }
    }

    /// <summary>Null when <paramref name="target"/> leads in the end; otherwise why not.</summary>
    private async Task<string?> RunTransferAsync(ClusterMember target, CancellationToken token)
    {
        // 1. While this node still leads: the target must hold its last entry, or the voters refuse it.
        if (await CatchUpAsync(target, token).ConfigureAwait(false) is { } behind)
            return behind;

        // 2. Every other member holds its election (for both remaining steps); while one does not, nothing changed.
        using (var asking = CancellationTokenSource.CreateLinkedTokenSource(token))
        {
            asking.CancelAfter(Window);
            var others = view.Config.Members.Where(m => m.Id != view.Self.Id && m.Id != target.Id).ToList();
            var asked = await Task.WhenAll(others.Select(m => AskToHoldAsync(m, target, 2 * Window, asking.Token))).ConfigureAwait(false);
            if (asked.FirstOrDefault(a => a is not null) is { } refused)
                return refused;
        }

        // 3. Step down and hold this node's own election: the target is the only member that stands.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
        deadline.CancelAfter(Window);
        var leads = WaitForLeaderAsync(target, deadline.Token);
        if (!view.IsLeader)
            return "this node stopped leading before it stepped down";
        if (!await view.Raft.ResignAsync(deadline.Token).ConfigureAwait(false))
            return "this node could not step down";
        if (!await hold.HoldAsync(view.Self.Id, target, Window, deadline.Token).ConfigureAwait(false))
            return "this node could not hold its own election";
        try
        {
            await leads.ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            return $"{target.Id} did not become leader within {(long)Window.TotalMilliseconds} ms of the step-down (leader now: {view.Leader?.Id ?? "none"})";
        }
    }

    /// <summary>
    /// Waits until <paramref name="target"/>'s match index reaches this leader's last entry. A target that keeps
    /// catching up is waited for (up to ten windows); one that stops for a whole <see cref="Window"/> fails the transfer.
    /// </summary>
    private async Task<string?> CatchUpAsync(ClusterMember target, CancellationToken token)
    {
        var started = Stopwatch.GetTimestamp();
        var progressAt = started;
        var match = view.MatchIndexOf(target);
        while (true)
        {
            if (!view.IsLeader)
                return "this node stopped leading while the target caught up";
            var last = log.LastIndex;
            var now = view.MatchIndexOf(target);
            if (now >= last)
                return null;
            if (now > match)
            {
                match = now;
                progressAt = Stopwatch.GetTimestamp();
            }

            if (Stopwatch.GetElapsedTime(progressAt) > Window || Stopwatch.GetElapsedTime(started) > 10 * Window)
                return $"{target.Id} did not catch up to the last entry ({now} of {last})";
            await Task.Delay(CatchUpPoll, token).ConfigureAwait(false);
        }
    }

    private async Task<string?> AskToHoldAsync(ClusterMember member, ClusterMember target, TimeSpan holdFor, CancellationToken token)
    {
        var uri = new Uri(member.Raft, $"{LeaderPreferenceHold.Path}?target={Uri.EscapeDataString(target.Id)}&ms={((long)holdFor.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)}");
        try
        {
            using var response = await http.PostAsync(uri, content: null, token).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? null : $"{member.Id} answered {(int)response.StatusCode} to the election hold";
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            return $"{member.Id} could not be asked to hold its election: {e.Message}";
        }
    }

    /// <summary>Completes once <paramref name="target"/> leads (woken by .NEXT's leader-changed event).</summary>
    private async Task WaitForLeaderAsync(ClusterMember target, CancellationToken token)
    {
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChange(ICluster cluster, IClusterMember? leader)
        {
            if (leader?.EndPoint is UriEndPoint uri && NodeConfigLoader.SameEndpoint(uri.Uri, target.Raft))
                changed.TrySetResult();
        }

        view.Raft.LeaderChanged += OnChange;
        try
        {
            if (view.Leader?.Id == target.Id)
                return;
            await changed.Task.WaitAsync(token).ConfigureAwait(false);
        }
        finally
        {
            view.Raft.LeaderChanged -= OnChange;
        }
    }

    public override void Dispose()
    {
        http.Dispose();
        base.Dispose();
    }

    private sealed class Pause(LeaderPreference preference) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
                Interlocked.Decrement(ref preference.pauses);
        }
    }
}
