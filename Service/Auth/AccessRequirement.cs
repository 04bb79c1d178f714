using Microsoft.AspNetCore.Authorization;

namespace GeoLedger.Auth;

/// <summary>An endpoint needs at least <paramref name="Minimum"/> access (unless authentication is off or, for reads, reads are open).</summary>
public sealed record AccessRequirement(Access Minimum) : IAuthorizationRequirement;

/// <summary>Decides <see cref="AccessRequirement"/> from the configured tokens and the authenticated user.</summary>
internal sealed class AccessRequirementHandler(ApiTokens tokens) : AuthorizationHandler<AccessRequirement>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, AccessRequirement requirement)
    {
        if (AccessPolicies.Allows(tokens, context.User, requirement.Minimum))
            context.Succeed(requirement);
        return Task.CompletedTask;
    }
}
