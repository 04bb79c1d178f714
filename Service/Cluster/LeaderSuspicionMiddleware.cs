using System.Globalization;
using Microsoft.AspNetCore.Connections.Features;

namespace GeoLedger.Cluster;

/// <summary>
/// Tells <see cref="LeaderSuspicion"/> what the Raft port hears from the leader: every AppendEntries
/// (heartbeats included) and InstallSnapshot while it is processed, whether this node accepted it,
/// and when the connection it came on closes. Runs after the cluster secret is checked.
/// </summary>
internal sealed class LeaderSuspicionMiddleware(RequestDelegate next, LeaderSuspicion suspicion)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Request.Headers[RaftHeaders.MessageType].FirstOrDefault() is not ("AppendEntries" or "InstallSnapshot"))
        {
            await next(context);
            return;
        }

        object? acceptedOn = null;
        var closed = context.Features.Get<IConnectionLifetimeFeature>()?.ConnectionClosed ?? context.RequestAborted;
        using var watch = suspicion.HearingStarted(closed);
        try
        {
            await next(context);
            if (Accepted(context))
                acceptedOn = ConnectionOf(context);
        }
        finally
        {
            suspicion.HearingEnded(acceptedOn, closed);
        }
    }

    /// <summary>
    /// Raft accepts a leader's message when the sender's term is not older than this node's; .NEXT
    /// answers with this node's term as it was before adopting a newer one, so "accepted" is
    /// answer term &lt;= request term (a deposed leader gets a newer term back).
    /// </summary>
    private static bool Accepted(HttpContext context) =>
        context.Response.StatusCode == StatusCodes.Status200OK
        && TryReadTerm(context.Request.Headers[RaftHeaders.Term], out var senderTerm)
        && TryReadTerm(context.Response.Headers[RaftHeaders.Term], out var ourTerm)
        && ourTerm <= senderTerm;

    private static bool TryReadTerm(Microsoft.Extensions.Primitives.StringValues value, out long term) =>
        long.TryParse(value.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out term);

    /// <summary>
    /// An object standing for the request's connection, the same for every request on it; the first
    /// time a connection carries an accepted message, its closing is reported to the suspicion.
    /// </summary>
    private object ConnectionOf(HttpContext context)
    {
        var items = context.Features.Get<IConnectionItemsFeature>()?.Items;
        var lifetime = context.Features.Get<IConnectionLifetimeFeature>();
        if (items is null || lifetime is null)
            return context.Connection; // no connection features (not Kestrel): time alone decides
        lock (items) // HTTP/2 streams of one connection may get here concurrently
        {
            if (items.TryGetValue(typeof(LeaderSuspicionMiddleware), out var known) && known is not null)
                return known;
            var connection = new RaftConnection(context.Features.Get<IConnectionSocketFeature>()?.Socket);
            items[typeof(LeaderSuspicionMiddleware)] = connection;
            lifetime.ConnectionClosed.Register(() => suspicion.ConnectionClosed(connection));
            return connection;
        }
    }
}
