using System.Diagnostics;
using GeoLedger.Auth;
using Microsoft.AspNetCore.Authorization;

namespace GeoLedger.Telemetry;

/// <summary>
/// Times every client request that reached a write endpoint or read keys (by the endpoint's authorization policy) and counts the
/// requests refused before the ledger saw them, by reason. Runs around routing, authorization and the endpoint.
/// </summary>
internal sealed class RequestMetrics(RequestDelegate next, LedgerMetrics metrics)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        await next(context);
        var status = context.Response.StatusCode;
        if (RejectionReason(status) is { } reason)
            metrics.RequestRejected(reason);
        if (context.GetEndpoint() is not RouteEndpoint endpoint)
            return;
        var policy = endpoint.Metadata.GetMetadata<IAuthorizeData>()?.Policy;
        var route = endpoint.RoutePattern.RawText ?? "";
        if (policy is AccessPolicies.Write or AccessPolicies.Admin)
            metrics.WriteAnswered(route, status, Stopwatch.GetElapsedTime(started));
        else if (policy == AccessPolicies.Read && IsDataRead(route))
            metrics.ReadAnswered(route, ConsistencyOf(context), status, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Reads of keys (the KV routes and the article's <c>/{id}</c>), not of the cluster view or the metrics.</summary>
    private static bool IsDataRead(string route) =>
        route.StartsWith("/v1/kv", StringComparison.Ordinal) || route.StartsWith("/{id", StringComparison.Ordinal);

    /// <summary>The reason label of a refusal, or null when the status is not one.</summary>
    private static string? RejectionReason(int status) => status switch
    {
        StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden => "auth",
        StatusCodes.Status413PayloadTooLarge => "size",
        StatusCodes.Status429TooManyRequests => "admission",
        StatusCodes.Status400BadRequest or StatusCodes.Status411LengthRequired or StatusCodes.Status414UriTooLong
            or StatusCodes.Status415UnsupportedMediaType or StatusCodes.Status431RequestHeaderFieldsTooLarge => "invalid",
        _ => null,
    };

    /// <summary>The read's consistency as a bounded label (the query text itself is the client's).</summary>
    private static string ConsistencyOf(HttpContext context) => context.Request.Query["consistency"].ToString() switch
    {
        "" or "linearizable" => context.Request.Query.ContainsKey("minRevision") ? "min_revision" : "linearizable",
        "local" => "local",
        _ => "invalid",
    };
}
