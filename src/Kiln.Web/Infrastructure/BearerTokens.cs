using System.Security.Claims;
using Kiln.Core.Accounts;
using Kiln.Core.Accounts.Sessions;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Kiln.Web.Infrastructure;

/// <summary>
/// Writes the token response of sign-in and refresh: a short-lived access token (Identity's protected bearer format,
/// carrying the session id and the security stamp, both checked on every request by <see cref="TenantMiddleware"/>)
/// and the session's new refresh token, which Kiln stores hashed and rotates itself.
/// </summary>
public sealed class BearerTokens(SignInManager<KilnUser> signIn, IOptionsMonitor<BearerTokenOptions> bearer, IOptions<AuthOptions> auth, TimeProvider clock)
{
    public async Task<AccessTokenResponse> IssueAsync(KilnUser user, IssuedRefreshToken refresh)
    {
        var principal = await signIn.CreateUserPrincipalAsync(user);
        ((ClaimsIdentity)principal.Identity!).AddClaim(new Claim(KilnClaims.Session, refresh.SessionId.ToString()));
        var lifetime = auth.Value.AccessTokenLifetime;
        var now = clock.GetUtcNow();
        var ticket = new AuthenticationTicket(principal, new AuthenticationProperties { IssuedUtc = now, ExpiresUtc = now + lifetime }, IdentityConstants.BearerScheme);
        return new AccessTokenResponse
        {
            AccessToken = bearer.Get(IdentityConstants.BearerScheme).BearerTokenProtector.Protect(ticket),
            ExpiresIn = (long)lifetime.TotalSeconds,
            RefreshToken = refresh.Token,
        };
    }
}
