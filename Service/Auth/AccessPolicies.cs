using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;

namespace GeoLedger.Auth;

/// <summary>
/// The authorization policies of the client API: <see cref="Read"/>, <see cref="Write"/> and <see cref="Admin"/>,
/// one per <see cref="Access"/> level. Any endpoint without a policy of its own needs <see cref="Read"/>.
/// </summary>
public static class AccessPolicies
{
    /// <summary>Reads: open unless <c>Ledger:RequireReadAuth</c>.</summary>
    public const string Read = "read";

    /// <summary>Writes: a write or admin token.</summary>
    public const string Write = "write";

    /// <summary>Membership changes: an admin token.</summary>
    public const string Admin = "admin";

    /// <summary>
    /// Registers the policies and the 401/403 problem answers, and the bearer scheme when there are tokens (without
    /// any, every policy allows everything and requests skip authentication altogether).
    /// </summary>
    public static IServiceCollection AddLedgerAuthentication(this IServiceCollection services, ApiTokens tokens)
    {
        services.AddSingleton(tokens);
        if (!tokens.IsOff)
        {
            // A refused request is answered, not logged: the handler's line per challenge would let anyone fill the log.
            services.Configure<LoggerFilterOptions>(o => o.AddFilter(typeof(BearerTokenHandler).FullName, LogLevel.Warning));
            services.AddAuthentication(BearerTokenHandler.SchemeName)
                .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null);
        }

        services.AddSingleton<IAuthorizationHandler, AccessRequirementHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ProblemAuthorizationResultHandler>();
        services.AddAuthorizationBuilder()
            .AddPolicy(Read, p => p.AddRequirements(new AccessRequirement(Access.Read)))
            .AddPolicy(Write, p => p.AddRequirements(new AccessRequirement(Access.Write)))
            .AddPolicy(Admin, p => p.AddRequirements(new AccessRequirement(Access.Admin)))
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().AddRequirements(new AccessRequirement(Access.Read)).Build());
        return services;
    }

    /// <summary>True when <paramref name="user"/> has <paramref name="minimum"/> access under <paramref name="tokens"/>.</summary>
    public static bool Allows(ApiTokens tokens, ClaimsPrincipal user, Access minimum) =>
        tokens.IsOff
        || (minimum == Access.Read && !tokens.RequireReadAuth)
        || BearerTokenHandler.AccessOf(user) >= minimum;

    /// <summary>
    /// True when the request may see the cluster's state (the leader, indexes): reads are open, or it carries a
    /// read token. Probes and 401 answers use this to leave the state out.
    /// </summary>
    public static bool CanRead(HttpContext context) =>
        Allows(context.RequestServices.GetRequiredService<ApiTokens>(), context.User, Access.Read);

    /// <summary>Answers a failed authorization with a problem: 401 through the scheme's challenge, 403 naming the access needed.</summary>
    private sealed class ProblemAuthorizationResultHandler : IAuthorizationMiddlewareResultHandler
    {
        private readonly AuthorizationMiddlewareResultHandler standard = new();

        public async Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
        {
            if (!authorizeResult.Forbidden)
            {
                await standard.HandleAsync(next, context, policy, authorizeResult);
                return;
            }

            var needed = authorizeResult.AuthorizationFailure?.FailedRequirements.OfType<AccessRequirement>().Select(r => r.Minimum).DefaultIfEmpty(Access.Write).Max() ?? Access.Write;
            var has = BearerTokenHandler.AccessOf(context.User);
            var title = needed == Access.Admin ? "Token without admin access: use a token with admin access" : "Read-only token: use a token with write access";
            await TypedResults.Problem($"This token has {has?.ToString().ToLowerInvariant() ?? "no"} access; this request needs {needed.ToString().ToLowerInvariant()} access.",
                statusCode: StatusCodes.Status403Forbidden, title: title).ExecuteAsync(context);
        }
    }
}
