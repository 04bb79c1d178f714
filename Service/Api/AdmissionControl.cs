using System.Security.Cryptography;
using System.Text;
using GeoLedger.Ledger;
using Microsoft.AspNetCore.Http.Features;

namespace GeoLedger.Api;

/// <summary>
/// Admission control on the client port: a request body is counted from the moment it is admitted until its answer,
/// node-wide and per client (its token, or its address without authentication); past either share the request gets 429
/// with Retry-After and nothing is read or written. Large bodies together use at most half the node's share, so small
/// writes are not starved by large ones. List pages have a budget of their own (<see cref="TryTakeListPage"/>).
/// </summary>
internal sealed class AdmissionControl(NodeLimits limits, LedgerOptions options)
{
    private readonly ByteBudget bodies = new(limits.MaxInFlightBytes, limits.MaxInFlightBytesPerClient, NodeLimits.LargeRequestBytes);
    private readonly ByteBudget lists = new(limits.MaxListBytesInFlight, Math.Max(limits.MaxListPageBytes, limits.MaxListBytesInFlight / 4));
    private readonly long maxBodyBytes = RequestReader.MaxBodyBytes(options.MaxValueBytes);
    private readonly bool byToken = options.ApiTokens.Count > 0;

    /// <summary>Bytes of request bodies in flight now.</summary>
    public long BodyBytesInFlight => bodies.InFlight;

    /// <summary>Middleware: admits the request, or answers 429.</summary>
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var cost = BodyCost(context);
        if (cost == 0)
        {
            await next(context);
            return;
        }

        var refusal = bodies.TryTake(ClientOf(context), cost, out var lease);
        if (refusal != ByteBudget.Refusal.None)
        {
            await TooManyRequests(context, refusal == ByteBudget.Refusal.Client
                ? "Too much in flight from this client: retry after Retry-After"
                : "Node busy with large requests: retry after Retry-After",
                $"This request's {cost} bytes would pass the bytes in flight allowed {(refusal == ByteBudget.Refusal.Client ? "per client (Ledger:MaxInFlightBytesPerClient)" : "on this node (Ledger:MaxInFlightBytes)")}; nothing was read or written.")
                .ExecuteAsync(context);
            return;
        }

        using (lease)
            await next(context);
    }

    /// <summary>Takes the bytes of a list page until the lease is disposed; the 429 to answer when there is no room.</summary>
    public IResult? TryTakeListPage(HttpContext context, long bytes, out ByteBudget.Lease lease) =>
        lists.TryTake(ClientOf(context), bytes, out lease) == ByteBudget.Refusal.None
            ? null
            : TooManyRequests(context, "Too many large listings in progress: retry after Retry-After, or ask for smaller pages",
                $"This page of {bytes} bytes would pass the bytes of list pages allowed in flight (Ledger:MaxListBytesInFlight); use a lower limit= or retry.");

    /// <summary>
    /// The bytes a request's body will hold: its Content-Length, or the most a body may be when it is chunked. A body
    /// declared larger than that is refused (413) before it is read, so it costs nothing.
    /// </summary>
    private long BodyCost(HttpContext context)
    {
        if (context.Request.ContentLength is { } length)
            return length <= maxBodyBytes ? length : 0;
        return context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true ? maxBodyBytes : 0;
    }

    /// <summary>The client a request is counted against: a hash of its bearer token when tokens are on, else its address.</summary>
    private string ClientOf(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (byToken && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return "token:" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(header[7..].Trim())));
        return "address:" + context.Connection.RemoteIpAddress;
    }

    private static IResult TooManyRequests(HttpContext context, string title, string detail)
    {
        context.Response.Headers.RetryAfter = "1";
        return TypedResults.Problem(detail, statusCode: StatusCodes.Status429TooManyRequests, title: title);
    }
}
