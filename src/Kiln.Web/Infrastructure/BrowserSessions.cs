using System.Security.Claims;
using Kiln.Core.Accounts;
using Kiln.Core.Accounts.Sessions;
using Kiln.Core.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Web.Infrastructure;

/// <summary>
/// Every browser sign-in (password, two-factor, a provider, sign-up, a refresh after a password change) gets a
/// <see cref="UserSession"/> row whose id rides in the cookie (<see cref="KilnClaims.Session"/>). The row is the truth:
/// revoking it — one device from the settings page, sign out everywhere, a password change or reset, an operator's lock
/// or forced sign-out — rejects the cookie on its next request in this process at once, and in another web process
/// within <see cref="AuthOptions.RevocationCacheSeconds"/> (the liveness cache). "Last seen" is written at most every
/// <see cref="AuthOptions.LastSeenWriteMinutes"/>.
/// </summary>
public static class BrowserSessions
{
    /// <summary>Before the cookie is written: keep the session of the browser's current cookie if it is live, else start one.</summary>
    public static async Task OnSigningIn(CookieSigningInContext context)
    {
        if (context.Principal?.Identity is not ClaimsIdentity identity || identity.FindFirst(KilnClaims.Session) is not null) return;
        if (!Guid.TryParse(identity.FindFirst(ClaimTypes.NameIdentifier)?.Value, out var userId)) return;
        var http = context.HttpContext;
        var services = http.RequestServices;
        var db = services.GetRequiredService<KilnDbContext>();
        // A refresh of the same browser's sign-in (a display-name change, two-factor turned on) keeps its device row; after a
        // password change the old row is revoked, so the browser continues on a new one.
        Guid? current = Guid.TryParse(http.User.FindFirstValue(KilnClaims.Session), out var sid)
            && http.User.FindFirstValue(ClaimTypes.NameIdentifier) == userId.ToString() ? sid : null;
        if (current is { } id && await db.Set<UserSession>().AsNoTracking()
                .AnyAsync(s => s.Id == id && s.UserId == userId && s.Kind == SessionKinds.Browser && s.RevokedAt == null, http.RequestAborted))
        {
            identity.AddClaim(new Claim(KilnClaims.Session, id.ToString()));
            return;
        }
        var started = await services.GetRequiredService<StartSessionCommand>().StartBrowserAsync(userId, http.RequestAborted);
        identity.AddClaim(new Claim(KilnClaims.Session, started.ToString()));
    }

    /// <summary>On every request with a cookie: a revoked session ends the cookie; a live one is touched, then the stamp is checked.</summary>
    public static async Task OnValidatePrincipal(CookieValidatePrincipalContext context)
    {
        var http = context.HttpContext;
        if (Guid.TryParse(context.Principal?.FindFirstValue(KilnClaims.Session), out var sessionId))
        {
            var services = http.RequestServices;
            var db = services.GetRequiredService<KilnDbContext>();
            var liveness = services.GetRequiredService<SessionLiveness>();
            if (!await liveness.IsLiveAsync(db, sessionId, http.RequestAborted))
            {
                context.RejectPrincipal();
                await http.SignOutAsync(IdentityConstants.ApplicationScheme);
                return;
            }
            await liveness.TouchAsync(db, sessionId, http.RequestAborted);
        }
        await SecurityStampValidator.ValidatePrincipalAsync(context);
    }

    /// <summary>Signing out of this browser ends its session row too, so the device leaves the settings list.</summary>
    public static async Task OnSigningOut(CookieSigningOutContext context)
    {
        var http = context.HttpContext;
        if (!Guid.TryParse(http.User.FindFirstValue(KilnClaims.Session), out var sessionId)
            || !Guid.TryParse(http.User.FindFirstValue(ClaimTypes.NameIdentifier), out var userId)) return;
        await http.RequestServices.GetRequiredService<SessionRevocations>().RevokeSessionAsync(userId, sessionId, "logout", http.RequestAborted);
    }

    /// <summary>The periodic security-stamp check rebuilds the principal from the user row: carry the session id over.</summary>
    public static Task KeepSession(SecurityStampRefreshingPrincipalContext context)
    {
        if (context.CurrentPrincipal?.FindFirst(KilnClaims.Session) is { } sid && context.NewPrincipal?.Identity is ClaimsIdentity identity
            && identity.FindFirst(KilnClaims.Session) is null)
            identity.AddClaim(new Claim(KilnClaims.Session, sid.Value));
        return Task.CompletedTask;
    }
}
