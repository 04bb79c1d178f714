using System.Security.Cryptography;
using System.Text;
using GeoLedger.Ledger;

namespace GeoLedger.Api;

/// <summary>
/// Bearer tokens from <c>Ledger:ApiTokens</c>: writes need a write token; reads need a token when
/// <c>Ledger:RequireReadAuth</c> is true. Tokens are held as SHA-256 hashes and compared by hash.
/// </summary>
internal sealed class ApiAuthentication
{
    private readonly Dictionary<string, bool> canWriteByHash = new(StringComparer.Ordinal);
    private readonly bool requireReadAuth;

    public ApiAuthentication(LedgerOptions options)
    {
        foreach (var (token, index) in options.ApiTokens.Select((t, i) => (t, i)))
        {
            if (string.IsNullOrWhiteSpace(token.Token))
                throw new InvalidOperationException($"Ledger:ApiTokens:{index}:Token is empty: give every token a value");
            var canWrite = token.Access.ToLowerInvariant() switch
            {
                "write" => true,
                "read" => false,
                _ => throw new InvalidOperationException($"Ledger:ApiTokens:{index}:Access is '{token.Access}': use read or write"),
            };
            canWriteByHash[Hash(token.Token)] = canWrite || canWriteByHash.GetValueOrDefault(Hash(token.Token));
        }

        requireReadAuth = options.RequireReadAuth;
        if (requireReadAuth && canWriteByHash.Count == 0)
            throw new InvalidOperationException("Ledger:RequireReadAuth is true but Ledger:ApiTokens is empty: add a token or turn read authentication off");
    }

    /// <summary>True when no token is configured (local use only).</summary>
    public bool IsOff => canWriteByHash.Count == 0;

    /// <summary>Null when the request may go on; otherwise the 401 or 403 to answer.</summary>
    public IResult? Check(HttpContext context)
    {
        if (IsOff)
            return null;
        var path = context.Request.Path;
        if (path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz"))
            return null;
        var isRead = HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method);
        if (isRead && !requireReadAuth)
            return null;

        var header = context.Request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) || header.Length == scheme.Length)
            return Unauthorized(context, "Send Authorization: Bearer <token>", "This request needs a token from Ledger:ApiTokens.");
        if (!canWriteByHash.TryGetValue(Hash(header[scheme.Length..].Trim()), out var canWrite))
            return Unauthorized(context, "Unknown token: check the token you send", "The bearer token is not one of Ledger:ApiTokens.");
        if (!isRead && !canWrite)
            return TypedResults.Problem("This token has read access only.", statusCode: StatusCodes.Status403Forbidden, title: "Read-only token: use a token with write access");
        return null;
    }

    private static IResult Unauthorized(HttpContext context, string title, string detail)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return TypedResults.Problem(detail, statusCode: StatusCodes.Status401Unauthorized, title: title);
    }

    private static string Hash(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
