using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Connections;
using GeoLedger.Storage;

namespace GeoLedger.Cluster;

/// <summary>
/// Tells followers at once that the leader committed everything it holds. A follower otherwise learns
/// a commit from the leader's next AppendEntries, and when nothing else is written that is a heartbeat
/// away: a read of one's own write on a follower (<c>?minRevision=</c>) would wait out the rest of the
/// heartbeat period. .NEXT runs one replication round at a time, so forcing a round per commit would
/// delay the next write instead. The notice travels beside the rounds, over the Raft port: the
/// leader's term, its commit index and the term of the entry there; a follower holding that entry
/// with that term commits it (<see cref="LedgerLog.AcceptCommitNotice"/>; a notice that overtakes the
/// AppendEntries carrying its entry waits for it there). Under load the
/// rounds carry commits anyway and the log asks for notices only when it has nothing left to
/// replicate; one notice per follower is on the wire at a time, and the newest commit follows it.
/// To a near member (its last notice came back within 5 ms) a notice waits 3 ms first and is dropped
/// if a write arrived meanwhile: that write's AppendEntries carries the commit.
/// A lost notice costs nothing: the next round carries the commit.
/// </summary>
public sealed class CommitNotices : SideChannel<Uri>
{
    /// <summary>The path followers serve on their Raft port.</summary>
    public const string Path = "/geoledger/commit";

    /// <summary>A member whose last notice came back faster than this is near (the same machine, region or zone).</summary>
    private static readonly TimeSpan NearRoundTrip = TimeSpan.FromMilliseconds(5);

    /// <summary>How long a notice to a near member waits for a write whose AppendEntries would carry the commit anyway.</summary>
    private static readonly TimeSpan NearHold = TimeSpan.FromMilliseconds(3);

    private readonly ConcurrentDictionary<Uri, TimeSpan> roundTrips = new(); // each member's last notice round trip
    private readonly LedgerLog log;

    /// <summary>Sends notices for <paramref name="log"/>'s commits to the members <paramref name="view"/> knows.</summary>
    public CommitNotices(ClusterView view, LedgerLog log, IHttpMessageHandlerFactory handlers)
        : base(view, handlers)
    {
        this.log = log;
        log.CommitNoticeDue = Signal;
    }

    /// <inheritdoc />
    protected override IEnumerable<Uri> MembersDue() =>
        View.Raft.Members.Where(m => m.IsRemote).Select(m => m.EndPoint).OfType<UriEndPoint>().Select(e => e.Uri);

    /// <summary>Sends the current commit to <paramref name="member"/> until what it was told is current.</summary>
    protected override async Task SendAsync(Uri member, CancellationToken token)
    {
        var sent = 0L;
        try
        {
            while (!token.IsCancellationRequested && View.IsLeader)
            {
                var notice = log.CurrentCommitNotice();
                if (notice.Index <= sent)
                    return;
                if (roundTrips.TryGetValue(member, out var known) && known < NearRoundTrip)
                {
                    // A near member: a write arriving meanwhile sends its AppendEntries at once, and that carries this
                    // commit; a notice beside it would only cost both nodes CPU (sequential writes on one machine).
                    await Task.Delay(NearHold, token).ConfigureAwait(false);
                    if (log.LastIndex > notice.Index)
                        return;
                }

                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
                deadline.CancelAfter(SendTimeout);
                var started = Stopwatch.GetTimestamp();
                using var response = await Http.PostAsync(UriOf(member, notice), content: null, deadline.Token).ConfigureAwait(false);
                roundTrips[member] = Stopwatch.GetElapsedTime(started);
                sent = notice.Index;
            }
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or ObjectDisposedException)
        {
            // The next replication round carries the commit.
        }
    }

    private static Uri UriOf(Uri member, CommitNotice notice) => new(member,
        string.Create(CultureInfo.InvariantCulture, $"{Path}?term={notice.Term}&index={notice.Index}&entryTerm={notice.EntryTerm}"));

    /// <summary>The follower's side: 204 when it committed (or had committed) the entry, 202 when it keeps the notice for the entry's arrival, 409 when it may not, 400 when malformed.</summary>
    public static Task ServeAsync(HttpContext context)
    {
        var query = context.Request.Query;
        if (!TryRead(query, "term", out var term) || !TryRead(query, "index", out var index) || !TryRead(query, "entryTerm", out var entryTerm))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return Task.CompletedTask;
        }

        var log = context.RequestServices.GetRequiredService<LedgerLog>();
        context.Response.StatusCode = log.AcceptCommitNotice(term, index, entryTerm) switch
        {
            CommitNoticeOutcome.Committed => StatusCodes.Status204NoContent,
            CommitNoticeOutcome.Pending => StatusCodes.Status202Accepted,
            _ => StatusCodes.Status409Conflict,
        };
        return Task.CompletedTask;
    }
}
