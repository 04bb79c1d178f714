using System.Globalization;
using DotNext.Net.Cluster.Consensus.Raft.Extensions;
using Microsoft.Extensions.Logging;

namespace GeoLedger.Cluster;

/// <summary>
/// The election hold that turns .NEXT's standby mode into a leadership transfer (.NEXT 6.12 has no TimeoutNow): for a
/// bounded window this node does not stand for election (.NEXT's standby: it still replicates and votes), so the only
/// member that can win the election after the leader steps down is the transfer's target. The hold ends as soon as
/// the target leads, and at the end of the window whatever happened, so a lost target costs one window, never more.
/// </summary>
public sealed class LeaderPreferenceHold
{
    /// <summary>The path a leader asks the other members to hold their election on (Raft port, behind the cluster secret).</summary>
    public const string Path = "/geoledger/hold-election";

    private readonly ClusterView view;
    private readonly ILogger<LeaderPreferenceHold> logger;
    private readonly Lock gate = new();
    private CancellationTokenSource? held; // guarded by gate: ends the current hold

    /// <summary>A hold for the members of <paramref name="view"/>.</summary>
    public LeaderPreferenceHold(ClusterView view, ILogger<LeaderPreferenceHold> logger)
    {
        this.view = view;
        this.logger = logger;
        view.Raft.LeaderChanged += (_, _) =>
        {
            CancellationTokenSource? current;
            lock (gate)
                current = held;
            if (current is not null && view.Leader?.Id == Target)
                EndIfHeld(current);
        };
    }

    /// <summary>Ends <paramref name="hold"/> early (outside the lock: cancelling runs the release's continuation).</summary>
    private static void EndIfHeld(CancellationTokenSource hold)
    {
        try
        {
            hold.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // already released
        }
    }

    /// <summary>A hold began: the leader that asked (this node's id when it is the leader stepping down), and the target.</summary>
    public event Action<string, string>? Started;

    /// <summary>A hold ended: the target, and whether it led by then.</summary>
    public event Action<string, bool>? Ended;

    /// <summary>The member the current hold makes way for, or null when none is held.</summary>
    public string? Target { get; private set; }

    /// <summary>
    /// Holds this node's election for at most <paramref name="window"/>, in favour of <paramref name="target"/>: standby
    /// mode now, normal mode again once the target leads or the window ends. A hold while one runs extends it.
    /// </summary>
    /// <returns>False when .NEXT refused standby mode (the node is stopping).</returns>
    public async Task<bool> HoldAsync(string from, ClusterMember target, TimeSpan window, CancellationToken token)
    {
        var standby = (IStandbyModeSupport)view.Raft;
        CancellationTokenSource? previous;
        var next = new CancellationTokenSource(window);
        lock (gate)
        {
            previous = held;
            held = next;
            Target = target.Id;
        }

        // Ends the previous hold's wait; it sees it was replaced and leaves the release to this one.
        if (previous is not null)
        {
            EndIfHeld(previous);
            previous.Dispose();
        }
        if (!standby.Standby && !await standby.EnableStandbyModeAsync(token).ConfigureAwait(false) && !standby.Standby)
        {
            Release(next);
            return false;
        }

        LogMessages.ElectionHeld(logger, from, target.Id, (long)window.TotalMilliseconds);
        Started?.Invoke(from, target.Id);
        _ = ReleaseWhenDoneAsync(next, target.Id, standby);
        if (view.Leader?.Id == target.Id)
            EndIfHeld(next); // the target led before the hold began
        return true;
    }

    private async Task ReleaseWhenDoneAsync(CancellationTokenSource hold, string target, IStandbyModeSupport standby)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, hold.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        lock (gate)
        {
            if (!ReferenceEquals(held, hold))
                return; // extended by a later hold, which releases it
        }

        try
        {
            await standby.RevertToNormalModeAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // the node is stopping
        }

        var leader = view.Leader?.Id;
        LogMessages.ElectionHoldEnded(logger, target, leader ?? "none");
        Release(hold);
        Ended?.Invoke(target, leader == target);
    }

    private void Release(CancellationTokenSource hold)
    {
        lock (gate)
        {
            if (!ReferenceEquals(held, hold))
                return;
            held = null;
            Target = null;
        }

        hold.Dispose();
    }

    /// <summary>
    /// The member's side of <see cref="Path"/>: <c>?target=id&amp;ms=window</c> holds this node's election for the
    /// transfer to <c>target</c>. 200 when held; 400 for a bad request; 409 when this node leads (the asking leader is stale).
    /// </summary>
    public static async Task ServeAsync(HttpContext context)
    {
        var hold = context.RequestServices.GetRequiredService<LeaderPreferenceHold>();
        var view = hold.view;
        var query = context.Request.Query;
        var target = query["target"] is [{ } id] ? view.Config.Members.FirstOrDefault(m => m.Id == id) : null;
        if (target is null || target.Id == view.Self.Id
            || !(query["ms"] is [{ } text] && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms is >= 1 and <= 60_000))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        if (view.IsLeader)
        {
            context.Response.StatusCode = StatusCodes.Status409Conflict;
            return;
        }

        context.Response.StatusCode = await hold.HoldAsync(view.Leader?.Id ?? "unknown", target, TimeSpan.FromMilliseconds(ms), context.RequestAborted).ConfigureAwait(false)
            ? StatusCodes.Status200OK
            : StatusCodes.Status409Conflict;
    }
}
