using GeoLedger.Auth;
using GeoLedger.Ledger;
using GeoLedger.OpenApi;
using GeoLedger.Telemetry;
using Microsoft.Extensions.Options;

namespace GeoLedger.Api;

/// <summary>The <c>/v1/kv</c> API: get, put (with compare-and-set and create-only), delete, list.</summary>
internal static class KvApi
{
    private const string KeyPrefix = "/v1/kv/";
    private const int DefaultListLimit = 100;
    private const int MaxListLimit = 1000;

    public static IEndpointRouteBuilder MapKvApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/v1/kv");
        group.MapGet("", ListAsync).RequireAuthorization(AccessPolicies.Read).DescribeListKeys();
        group.MapGet("{**key}", GetAsync).RequireAuthorization(AccessPolicies.Read).DescribeGetKey();
        group.MapPut("{**key}", PutAsync).RequireAuthorization(AccessPolicies.Write).DescribePutKey();
        group.MapDelete("{**key}", DeleteAsync).RequireAuthorization(AccessPolicies.Write).DescribeDeleteKey();
        return routes;
    }

    /// <summary><c>GET /v1/kv/{key}</c>, blocking with <c>?waitRevision=n&amp;timeout=30s</c> (<see cref="BlockingReads"/>).</summary>
    public static async Task<IResult> GetAsync(HttpContext context, string? key, LedgerStore store, ReadGate gate, LedgerOptions options, BlockingReads blocking)
    {
        if (!RequestReader.TryReadKey(context, KeyPrefix, key, out var k, out var error)
            || !RequestReader.TryReadConsistency(context, out var consistency, out error)
            || !RevisionReads.TryRead(context, out var minRevision, out error)
            || !BlockingReads.TryRead(context, options.MaxWaitSeconds, out var wait, out error))
            return error!;
        if (await gate.EnterAsync(context, consistency, minRevision) is { } unavailable)
            return unavailable;
        // After the gate: what this node applied since is newer than the read index, so the answer stays linearizable.
        if (wait is { } w)
            await blocking.WaitAsync(k, w, context.RequestAborted);
        if (store.Get(k) is not { } entry)
            return Problems.NotFound(k);
        var ifNoneMatch = context.Request.Headers.IfNoneMatch;
        if (ifNoneMatch.Count == 1 && RequestReader.TryParseRevisionETag(ifNoneMatch[0]!, out var seen) && seen == entry.Revision)
        {
            context.Response.Headers.ETag = JsonResult.ETag(entry.Revision);
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }

        return new EntryResult(entry);
    }

    /// <summary><c>PUT /v1/kv/{key}</c> with <c>{"value": ...}</c>.</summary>
    public static async Task<IResult> PutAsync(HttpContext context, string? key, LedgerWriter writer, IOptions<LedgerOptions> options)
    {
        if (!RequestReader.TryReadKey(context, KeyPrefix, key, out var k, out var error)
            || !RequestReader.TryReadPrecondition(context, allowCreateOnly: true, out var precondition, out error))
            return error!;
        var (value, bodyError) = await RequestReader.ReadJsonPropertyAsync(context, "value", options.Value.MaxValueBytes);
        if (bodyError is not null)
            return bodyError;
        return await WriteAsync(context, writer, LedgerCommand.Put(k, value!, precondition), result => new EntryResult(result.Entry!));
    }

    /// <summary><c>DELETE /v1/kv/{key}</c>.</summary>
    public static async Task<IResult> DeleteAsync(HttpContext context, string? key, LedgerWriter writer)
    {
        if (!RequestReader.TryReadKey(context, KeyPrefix, key, out var k, out var error)
            || !RequestReader.TryReadPrecondition(context, allowCreateOnly: false, out var precondition, out error))
            return error!;
        return await WriteAsync(context, writer, LedgerCommand.Delete(k, precondition), _ => TypedResults.NoContent());
    }

    /// <summary>
    /// <c>GET /v1/kv?prefix=p&amp;limit=n&amp;after=k</c>: up to <c>limit</c> entries, fewer when they would pass
    /// <see cref="NodeLimits.MaxListPageBytes"/> (<c>next</c> then says where to go on), streamed to the client.
    /// </summary>
    public static async Task<IResult> ListAsync(HttpContext context, LedgerStore store, ReadGate gate, NodeLimits limits, AdmissionControl admission)
    {
        if (!RequestReader.TryReadConsistency(context, out var consistency, out var error)
            || !RevisionReads.TryRead(context, out var minRevision, out error))
            return error!;
        var query = context.Request.Query;
        foreach (var name in new[] { "prefix", "limit", "after" })
        {
            if (query[name].Count > 1)
                return Problems.BadRequest($"Give {name} once");
        }

        var prefix = query["prefix"].FirstOrDefault() ?? "";
        if (prefix.Length > 0 && !RequestReader.ValidateKey(prefix, out error))
            return error!;
        var after = query["after"].FirstOrDefault();
        if (after is not null && !RequestReader.ValidateKey(after, requireNfc: false, out error))
            return error!;
        var limit = DefaultListLimit;
        if (query["limit"].FirstOrDefault() is { } limitText && (!int.TryParse(limitText, out limit) || limit < 1 || limit > MaxListLimit))
            return Problems.BadRequest($"limit must be a whole number from 1 to {MaxListLimit}", $"'{limitText}' is not.");

        if (await gate.EnterAsync(context, consistency, minRevision) is { } unavailable)
            return unavailable;
        var (items, next) = store.List(prefix, after, limit);
        var (count, bytes) = FitPage(items, limits.MaxListPageBytes);
        if (count < items.Count)
        {
            items = items.Take(count).ToList();
            next = items[^1].Key;
        }

        return admission.TryTakeListPage(context, bytes, out var lease) ?? new ListPageResult(items, next, lease);
    }

    /// <summary>How many of <paramref name="items"/> fit in <paramref name="maxBytes"/> (at least one), and their bytes.</summary>
    private static (int Count, long Bytes) FitPage(IReadOnlyList<LedgerEntry> items, int maxBytes)
    {
        long bytes = 0;
        var count = 0;
        foreach (var item in items)
        {
            var size = ListPageResult.EntryBytes(item);
            if (count > 0 && bytes + size > maxBytes)
                break;
            bytes += size;
            count++;
        }

        return (count, bytes);
    }

    /// <summary>
    /// Runs a write and maps its outcome onto HTTP: 2xx, 404, 412, 307, 503, 504 or 507. An applied write (2xx, 404 or
    /// 412) carries <see cref="RevisionReads.Header"/>: its entry's index, the store's revision once it was applied.
    /// </summary>
    public static async Task<IResult> WriteAsync(HttpContext context, LedgerWriter writer, LedgerCommand command, Func<ApplyResult, IResult> success)
    {
        var outcome = await writer.WriteObservedAsync(command, context);
        if (outcome is WriteOutcome.Applied stamped)
            RevisionReads.Stamp(context, stamped.Result.Index);
        return outcome switch
        {
            WriteOutcome.NotLeader notLeader => Problems.RedirectToLeader(context, notLeader.Leader),
            WriteOutcome.Unknown unknown => Problems.OutcomeUnknown(unknown.Reason),
            WriteOutcome.DiskFull full => Problems.DiskFull(context, full.Detail),
            WriteOutcome.Applied { Result.Status: ApplyStatus.PreconditionFailed } applied => Problems.PreconditionFailed(command.Key, applied.Result.Entry?.Revision),
            WriteOutcome.Applied { Result.Status: ApplyStatus.NotFound } => Problems.NotFound(command.Key),
            WriteOutcome.Applied applied => success(applied.Result),
            _ => throw new InvalidOperationException($"Unexpected write outcome {outcome}"),
        };
    }
}
