using System.Globalization;
using GeoLedger.Ledger;

namespace GeoLedger.Api;

/// <summary>
/// Read your writes on any node: every write answers <see cref="Header"/> (the store's revision once the write was
/// applied), and a read with <c>?minRevision=n</c> waits until this node has applied revision <c>n</c>, then answers
/// from its own state with no leader round trip. Revisions are log indexes, identical on every node, so a node that
/// has applied <c>n</c> holds every write acknowledged with a revision up to <c>n</c>.
/// </summary>
internal static class RevisionReads
{
    /// <summary>The response header of every write: the store's revision after it.</summary>
    public const string Header = "X-GeoLedger-Revision";

    /// <summary>The query parameter of a read that must see at least this revision.</summary>
    public const string Parameter = "minRevision";

    /// <summary>Sets <see cref="Header"/> to <paramref name="revision"/>.</summary>
    public static void Stamp(HttpContext context, long revision) =>
        context.Response.Headers[Header] = revision.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Reads <c>?minRevision=</c>: null when absent. A whole number, 0 or more, given once, and never together with
    /// <c>consistency=linearizable</c> (a linearizable read already sees every acknowledged write; asking for both
    /// reads as if it waited twice). <c>consistency=local</c> may come with it: that is what it means.
    /// </summary>
    public static bool TryRead(HttpContext context, out long? minRevision, out IResult? error)
    {
        minRevision = null;
        error = null;
        var query = context.Request.Query;
        var values = query[Parameter];
        if (values.Count == 0)
            return true;
        if (values.Count > 1)
        {
            error = Problems.BadRequest("Give minRevision once", "Use the X-GeoLedger-Revision of your last write.");
            return false;
        }

        if (!long.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var revision))
        {
            error = Problems.BadRequest("minRevision must be a whole number, 0 or more", $"'{values[0]}' is not (use the X-GeoLedger-Revision of your last write).");
            return false;
        }

        if (query["consistency"] is [{ } level] && level.Equals("linearizable", StringComparison.OrdinalIgnoreCase))
        {
            error = Problems.BadRequest(
                "Give minRevision or consistency=linearizable, not both",
                "A linearizable read already sees every acknowledged write; minRevision reads this node's state once it has applied that revision.");
            return false;
        }

        minRevision = revision;
        return true;
    }

    /// <summary>True once <paramref name="store"/> has published <paramref name="revision"/>; false when <paramref name="token"/> ends the wait first.</summary>
    public static async Task<bool> WaitForAsync(LedgerStore store, long revision, CancellationToken token)
    {
        while (true)
        {
            var next = store.NextPublished; // before the look, so that a version published in between wakes the wait
            if (store.Revision >= revision)
                return true;
            try
            {
                await next.WaitAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return store.Revision >= revision;
            }
        }
    }
}
