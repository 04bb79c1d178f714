using System.Globalization;
using GeoLedger.Api;
using GeoLedger.Auth;
using GeoLedger.Ledger;
using GeoLedger.OpenApi;

namespace GeoLedger.Watch;

/// <summary>
/// <c>GET /v1/watch?prefix=p&amp;fromRevision=n</c>: every change under the prefix from revision n on, as Server-Sent Events
/// (<see cref="WatchStream"/>). Any node serves it from what it applied; resuming with <c>Last-Event-ID</c> neither skips
/// nor repeats a change.
/// </summary>
internal static class WatchApi
{
    public static IEndpointRouteBuilder MapWatchApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/v1/watch", WatchAsync).RequireAuthorization(AccessPolicies.Read).DescribeWatch();
        return routes;
    }

    /// <summary><c>GET /v1/watch</c>.</summary>
    public static async Task<IResult> WatchAsync(HttpContext context, LedgerStore store, ReadGate gate, LedgerOptions options)
    {
        if (!RequestReader.TryReadConsistency(context, out var consistency, out var error))
            return error!;
        var query = context.Request.Query;
        foreach (var name in new[] { "prefix", "fromRevision" })
        {
            if (query[name].Count > 1)
                return Problems.BadRequest($"Give {name} once");
        }

        var prefix = query["prefix"].FirstOrDefault() ?? "";
        if (prefix.Length > 0 && !RequestReader.ValidateKey(prefix, out error))
            return error!;
        long? from = null;
        if (query["fromRevision"].FirstOrDefault() is { } fromText)
        {
            if (!long.TryParse(fromText, NumberStyles.None, CultureInfo.InvariantCulture, out var f) || f < 1)
                return Problems.BadRequest("fromRevision must be a whole number, 1 or more", $"'{fromText}' is not.");
            from = f;
        }

        // A reconnecting EventSource sends the id of the last event it received: go on right after it.
        var lastEventId = context.Request.Headers["Last-Event-ID"];
        if (lastEventId.Count > 0)
        {
            if (lastEventId.Count > 1 || !long.TryParse(lastEventId[0], NumberStyles.None, CultureInfo.InvariantCulture, out var last))
                return Problems.BadRequest("Last-Event-ID must be one revision (the id of the last event received)", $"'{lastEventId}' is not.");
            from = last + 1;
        }

        if (await gate.EnterAsync(context, consistency) is { } unavailable)
            return unavailable;
        from ??= store.Revision + 1;
        var oldest = store.History.OldestAvailable;
        if (from < oldest)
            return Gone(from.Value, oldest);
        return new WatchStream(store, prefix, from.Value, TimeSpan.FromMilliseconds(options.WatchProgressMs));
    }

    /// <summary>410: the changes asked for are older than this node keeps.</summary>
    public static IResult Gone(long from, long oldest) =>
        TypedResults.Problem(
            $"This node keeps changes from revision {oldest} on (Ledger:WatchHistoryChanges, Ledger:WatchHistoryBytes); revision {from} is older. "
                + "Read the keys again (GET /v1/kv?prefix=...) and watch from the revision after what you read.",
            statusCode: StatusCodes.Status410Gone,
            title: "Changes no longer kept: read the keys again, then watch from a newer revision",
            extensions: new Dictionary<string, object?> { ["oldestRevision"] = oldest });
}
