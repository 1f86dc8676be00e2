using Kiln.Core.Accounts.TwoFactor;

namespace Kiln.Web.Infrastructure;

/// <summary>
/// A workspace whose owner requires two-factor sign-in refuses members without it: the API answers 403
/// <c>two_factor_enrollment_required</c>, pages send them to the setup page. Their own account, signing out, accepting
/// invitations and switching to another workspace stay open, so nobody is locked out of fixing it.
/// </summary>
public sealed class TwoFactorPolicy(RequestDelegate next)
{
    private static readonly string[] Open =
        ["/api/account", "/api/auth", "/api/me", "/api/invitations", "/api/workspaces", "/account", "/signin", "/signout", "/invitations",
         "/css", "/js", "/lib", "/favicon.svg", "/health", "/metrics", "/openapi", "/docs"];

    public async Task InvokeAsync(HttpContext http, CurrentUser user)
    {
        if (user is { UserId: not null, IsApiKey: false, WorkspaceRequiresTwoFactor: true, TwoFactorEnabled: false }
            && !Open.Any(p => http.Request.Path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase)))
        {
            if (http.Request.Path.StartsWithSegments("/api"))
            {
                await Problems.From(TwoFactorErrors.EnrollmentRequired).ExecuteAsync(http);
                return;
            }
            http.Response.Redirect("/account/two-factor?required=1");
            return;
        }
        await next(http);
    }
}
