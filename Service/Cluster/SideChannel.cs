using System.Globalization;

namespace GeoLedger.Cluster;

/// <summary>
/// What the leader's two side channels to followers beside .NEXT's replication share (<see cref="CommitNotices"/>,
/// <see cref="EntryPush"/>): the leader's log signals that something is due (<see cref="Signal"/>, quick: it runs on the
/// log's hot paths); a loop then starts a sender for each member <see cref="MembersDue"/> names, at most one per member
/// on the wire (a sender goes on while its member has more due, so a second one would only race it). Requests go to
/// the members' Raft ports through the cluster's Raft handler, <see cref="SendTimeout"/> each.
/// </summary>
/// <typeparam name="TMember">How the channel names a member (its Raft URL or its replication key).</typeparam>
public abstract class SideChannel<TMember> : BackgroundService
    where TMember : notnull
{
    /// <summary>How long one request may take; an unanswered one costs nothing (.NEXT's next request carries the same).</summary>
    protected static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(2);

    private readonly Lock gate = new();
    private readonly HashSet<TMember> onTheWire = []; // guarded by gate
    private TaskCompletionSource due = NewSignal();

    /// <summary>A channel that sends while <paramref name="view"/>'s node leads, with a client from <paramref name="handlers"/>.</summary>
    protected SideChannel(ClusterView view, IHttpMessageHandlerFactory handlers)
    {
        View = view;
        Http = new HttpClient(handlers.CreateHandler(RaftHttpHandlerFactory.Name), disposeHandler: true);
    }

    /// <summary>The node's view of the cluster.</summary>
    protected ClusterView View { get; }

    /// <summary>The client for the members' Raft ports.</summary>
    protected HttpClient Http { get; }

    /// <inheritdoc />
    public override void Dispose()
    {
        Http.Dispose();
        base.Dispose();
    }

    /// <summary>Wakes the loop: something may be due for some member.</summary>
    protected void Signal() => due.TrySetResult();

    /// <summary>The members something may be due for now (asked only while this node leads).</summary>
    protected abstract IEnumerable<TMember> MembersDue();

    /// <summary>Sends to <paramref name="member"/> until nothing more is due for it; handles its own failures.</summary>
    protected abstract Task SendAsync(TMember member, CancellationToken token);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await due.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
            Interlocked.Exchange(ref due, NewSignal());
            if (!View.IsLeader)
                continue;
            foreach (var member in MembersDue())
                Start(member, stoppingToken);
        }
    }

    /// <summary>Reads a whole non-negative number from the query; false when it is missing, repeated or malformed.</summary>
    protected static bool TryRead(IQueryCollection query, string name, out long value)
    {
        value = 0;
        return query[name] is [{ } text] && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    private void Start(TMember member, CancellationToken token)
    {
        lock (gate)
        {
            if (!onTheWire.Add(member))
                return; // its sender looks again for what is due before it stops
        }

        _ = RunAsync(member, token);
    }

    private async Task RunAsync(TMember member, CancellationToken token)
    {
        try
        {
            await SendAsync(member, token).ConfigureAwait(false);
        }
        finally
        {
            lock (gate)
                onTheWire.Remove(member);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
