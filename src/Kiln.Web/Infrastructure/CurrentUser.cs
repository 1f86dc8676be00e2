using System.Security.Claims;
using Kiln.Core.Accounts;
using Kiln.Core.Accounts.Sessions;
using Kiln.Core.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Web.Infrastructure;

public static class KilnClaims
{
    public const string Workspace = "kiln:workspace";
    public const string Admin = "kiln:admin";
    public const string ApiKey = "kiln:apikey";
    /// <summary>The session a bearer access token (its refresh-token family) or a sign-in cookie (<see cref="BrowserSessions"/>) belongs to.</summary>
    public const string Session = "kiln:sid";
}

/// <summary>Who is calling and for which workspace — filled once per request by <see cref="TenantMiddleware"/>.</summary>
public sealed class CurrentUser
{
    public Guid? UserId { get; set; }
    /// <summary>The signed-in user's email (from the user row; null for API keys).</summary>
    public string? Email { get; set; }
    public Guid? WorkspaceId { get; set; }
    public WorkspaceRole? Role { get; set; }
    public bool IsAdmin { get; set; }
    public bool IsApiKey { get; set; }
    /// <summary>The session of a bearer access token or a sign-in cookie (null for API keys).</summary>
    public Guid? SessionId { get; set; }
    /// <summary>Whether the user signs in with a second factor, and whether the current workspace demands it (<see cref="TwoFactorPolicy"/>).</summary>
    public bool TwoFactorEnabled { get; set; }
    public bool WorkspaceRequiresTwoFactor { get; set; }

    public Guid Workspace => WorkspaceId ?? throw new InvalidOperationException("No workspace on this request.");

    /// <summary>
    /// The caller that Core use cases check roles against — built here and nowhere else. API keys act as members:
    /// they use the workspace, they do not administer it. The operator flag is the user row's, read on this request.
    /// </summary>
    public Caller Caller => new(UserId, WorkspaceId, IsApiKey ? WorkspaceRole.Member : Role ?? WorkspaceRole.Member, IsOperator: IsAdmin && !IsApiKey);
}

/// <summary>
/// Resolves the caller's workspace: an API key carries it; a signed-in user acts in their current workspace, which is
/// checked against their memberships on every request (a removed member loses access at once).
/// </summary>
public sealed class TenantMiddleware(RequestDelegate next)
{
    // Only the scoped state every request needs is injected: an anonymous request or an API key never builds a
    // UserManager or a DbContext here (resolving them cost more than the rest of a health probe).
    public async Task InvokeAsync(HttpContext http, CurrentUser current, TenantScope scope)
    {
        var principal = http.User;
        if (principal.Identity?.IsAuthenticated == true)
        {
            if (principal.FindFirstValue(KilnClaims.ApiKey) is not null
                && Guid.TryParse(principal.FindFirstValue(KilnClaims.Workspace), out var keyWorkspace))
            {
                current.IsApiKey = true;
                current.WorkspaceId = keyWorkspace;
                current.Role = WorkspaceRole.Member;
            }
            else if (Guid.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out var userId))
            {
                var services = http.RequestServices;
                // Two or three reads follow: one pooled connection for all of them instead of one each (the SQLite pool's
                // lock was the most contended monitor under load), given back before the endpoint runs, so a long request
                // (an event stream) holds none.
                var db = services.GetRequiredService<KilnDbContext>();
                await db.Database.OpenConnectionAsync(http.RequestAborted);
                try
                {
                    var reads = services.GetRequiredService<SignedInUserQuery>();
                    var user = await reads.User(userId, http.RequestAborted);
                    Guid? session = Guid.TryParse(principal.FindFirstValue(KilnClaims.Session), out var sid) ? sid : null;
                    if (user is null || !await StillValidAsync(principal, user, session, services, http.RequestAborted))
                    {
                        // Signed out everywhere, locked, or a revoked session: the credential is dead from this request on.
                        http.User = new ClaimsPrincipal(new ClaimsIdentity());
                    }
                    else
                    {
                        current.UserId = user.Id;
                        current.Email = user.Email;
                        current.IsAdmin = user.IsAdmin;
                        current.SessionId = session;
                        current.TwoFactorEnabled = user.TwoFactorEnabled;
                        var membership = user.CurrentWorkspaceId is { } ws ? await reads.Membership(user.Id, ws, http.RequestAborted) : null;
                        membership ??= await reads.FirstWorkspace(user.Id, http.RequestAborted);
                        if (membership is not null)
                        {
                            current.WorkspaceId = membership.WorkspaceId;
                            current.Role = membership.Role;
                            current.WorkspaceRequiresTwoFactor = membership.RequireTwoFactor;
                            // Per-member privacy: members and viewers see their own work and what was shared; admins see all.
                            if (membership.MemberPrivacy && membership.Role < WorkspaceRole.Admin) scope.PrivateToUserId = user.Id;
                        }
                    }
                }
                finally
                {
                    await db.Database.CloseConnectionAsync();
                }
            }
        }
        scope.WorkspaceId = current.WorkspaceId;
        await next(http);
    }

    /// <summary>
    /// The user row is read on every request anyway, so the security stamp (changed by sign-out everywhere, a password
    /// change, a lock) and the lock are checked for free; a token's or cookie's session costs one cached lookup.
    /// </summary>
    private static async Task<bool> StillValidAsync(ClaimsPrincipal principal, SignedInUser user, Guid? session, IServiceProvider services, CancellationToken ct)
    {
        if (user.LockoutEnd is { } end && end > services.GetRequiredService<TimeProvider>().GetUtcNow()) return false;
        var stampClaim = services.GetRequiredService<IOptions<IdentityOptions>>().Value.ClaimsIdentity.SecurityStampClaimType;
        if (principal.FindFirstValue(stampClaim) is { } stamp && !string.Equals(stamp, user.SecurityStamp, StringComparison.Ordinal)) return false;
        return session is not { } id || await services.GetRequiredService<SessionLiveness>().IsLiveAsync(services.GetRequiredService<KilnDbContext>(), id, ct);
    }
}
