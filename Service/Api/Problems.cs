using GeoLedger.Cluster;

namespace GeoLedger.Api;

/// <summary>RFC 9457 problem details with titles that say what to fix.</summary>
internal static class Problems
{
    public static IResult BadRequest(string title, string? detail = null) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: title);

    public static IResult NotFound(string key) =>
        TypedResults.Problem($"No key '{key}' exists.", statusCode: StatusCodes.Status404NotFound, title: "Key not found");

    public static IResult PreconditionFailed(string key, long? currentRevision) =>
        TypedResults.Problem(
            currentRevision is { } r
                ? $"Key '{key}' is at revision {r}; read it again and retry with If-Match: \"{r}\"."
                : $"Key '{key}' does not exist.",
            statusCode: StatusCodes.Status412PreconditionFailed,
            title: "Precondition failed: the key changed",
            extensions: new Dictionary<string, object?> { ["currentRevision"] = currentRevision });

    public static IResult TooLarge(string title, string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status413PayloadTooLarge, title: title);

    public static IResult UnsupportedMediaType(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Send Content-Type: application/json");

    /// <summary>503: not attempted, safe to retry.</summary>
    public static IResult Unavailable(HttpContext context, string title, string detail)
    {
        context.Response.Headers.RetryAfter = "1";
        return TypedResults.Problem(detail, statusCode: StatusCodes.Status503ServiceUnavailable, title: title);
    }

    /// <summary>507: the leader's disk is full; nothing was written, and the node takes writes again once there is room.</summary>
    public static IResult DiskFull(HttpContext context, string detail)
    {
        context.Response.Headers.RetryAfter = "10";
        return TypedResults.Problem(
            $"{detail} Nothing was written; reads go on, and writes are taken again once there is room.",
            statusCode: StatusCodes.Status507InsufficientStorage,
            title: "Disk full on the leader: free space on its data disk");
    }

    /// <summary>504: the write may or may not have happened.</summary>
    public static IResult OutcomeUnknown(string reason) =>
        TypedResults.Problem(
            $"The write was sent to the Raft log but its commit was not confirmed ({reason}). Read the key to learn whether it took effect.",
            statusCode: StatusCodes.Status504GatewayTimeout,
            title: "Outcome unknown: read before retrying");

    /// <summary>307 to the leader's public URL, or 503 when no leader is known.</summary>
    public static IResult RedirectToLeader(HttpContext context, ClusterMember? leader)
    {
        if (leader is null)
            return Unavailable(context, "No leader: retry shortly", "The cluster has no leader right now (an election is under way or a majority is unreachable); nothing was written.");
        var target = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(target) || target[0] != '/')
            target = context.Request.Path.ToUriComponent() + context.Request.QueryString.ToUriComponent();
        var basePath = leader.Public.AbsolutePath.TrimEnd('/');
        var location = leader.Public.GetLeftPart(UriPartial.Authority) + basePath + target;
        context.Response.Headers.Location = location;
        return TypedResults.StatusCode(StatusCodes.Status307TemporaryRedirect);
    }
}
