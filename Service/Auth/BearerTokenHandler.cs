using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace GeoLedger.Auth;

/// <summary>
/// Authenticates <c>Authorization: Bearer &lt;token&gt;</c> against <see cref="ApiTokens"/>: a known token becomes a
/// user with its <see cref="Access"/>; no header is anonymous; an unknown token fails. A challenge is a 401 problem.
/// </summary>
internal sealed class BearerTokenHandler(ApiTokens tokens, IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    /// <summary>The scheme's name, as in the <c>WWW-Authenticate</c> header.</summary>
    public const string SchemeName = "Bearer";

    /// <summary>The claim carrying the token's <see cref="Access"/>.</summary>
    public const string AccessClaim = "geoledger:access";

    private const string Prefix = "Bearer ";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (tokens.IsOff)
            return Task.FromResult(AuthenticateResult.NoResult());
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) || header.AsSpan(Prefix.Length).Trim().IsEmpty)
            return Task.FromResult(AuthenticateResult.NoResult());
        if (tokens.Find(header[Prefix.Length..].Trim()) is not { } access)
            return Task.FromResult(AuthenticateResult.Fail("The bearer token is not one of Ledger:ApiTokens."));

        var identity = new ClaimsIdentity([new Claim(AccessClaim, access.ToString())], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        Response.Headers.WWWAuthenticate = SchemeName;
        var problem = result.Failure is null
            ? TypedResults.Problem("This request needs a token from Ledger:ApiTokens.", statusCode: StatusCodes.Status401Unauthorized, title: "Send Authorization: Bearer <token>")
            : TypedResults.Problem(result.Failure.Message, statusCode: StatusCodes.Status401Unauthorized, title: "Unknown token: check the token you send");
        await problem.ExecuteAsync(Context);
    }

    /// <summary>The access of an authenticated user, or null.</summary>
    public static Access? AccessOf(ClaimsPrincipal user) =>
        user.FindFirst(AccessClaim)?.Value is { } value && Enum.TryParse<Access>(value, out var access) ? access : null;
}
