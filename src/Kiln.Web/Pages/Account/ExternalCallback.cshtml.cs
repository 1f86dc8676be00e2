using System.Security.Claims;
using Kiln.Core.Accounts;
using Kiln.Core.Accounts.External;
using Kiln.Core.Audit;
using Kiln.Web.Infrastructure.ExternalAuth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Kiln.Web.Pages.Account;

/// <summary>
/// Where a provider's round trip ends: the external cookie holds the provider's word about the person; this finds or
/// creates their Kiln account (<see cref="SignInExternalCommand"/>), signs them in with the usual cookie and forgets the
/// external one. Anything refused goes back to the sign-in page with a sentence.
/// </summary>
public sealed class ExternalCallbackModel(SignInManager<KilnUser> signIn, SignInExternalCommand signInExternal, IAuditLog audit) : PageModel
{
    [BindProperty(SupportsGet = true)] public string? ReturnUrl { get; set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        var external = await HttpContext.AuthenticateAsync(IdentityConstants.ExternalScheme);
        await HttpContext.SignOutAsync(IdentityConstants.ExternalScheme);
        if (!external.Succeeded || external.Principal is not { } principal
            || external.Properties?.Items.TryGetValue("LoginProvider", out var provider) != true || provider is null)
            return Redirect("/signin?error=" + ExternalSignInFailure.State);

        var scheme = (await signIn.GetExternalAuthenticationSchemesAsync()).FirstOrDefault(s => s.Name == provider && SignInProviders.IsProvider(s.Name));
        var subject = principal.FindFirstValue(ExternalClaims.Subject) ?? principal.FindFirstValue(ClaimTypes.NameIdentifier);
        if (scheme is null || string.IsNullOrEmpty(subject)) return Redirect("/signin?error=" + ExternalSignInFailure.Failed);
        var email = principal.FindFirstValue(ExternalClaims.Email) ?? principal.FindFirstValue(ClaimTypes.Email);
        var verified = string.Equals(principal.FindFirstValue(ExternalClaims.EmailVerified), "true", StringComparison.OrdinalIgnoreCase);
        var name = principal.FindFirstValue(ExternalClaims.Name) ?? principal.FindFirstValue(ClaimTypes.Name);

        var user = await signInExternal.Run(new ExternalIdentity(provider, subject, email, verified, name, scheme.DisplayName ?? provider), ct);
        if (user.Error is { } refused) return Redirect("/signin?error=" + Uri.EscapeDataString(refused.Code));
        await signIn.SignInAsync(user.Value!, isPersistent: false, authenticationMethod: provider);
        await audit.RecordAsync(SignInAudit.Succeeded(user.Value!, "web", provider), ct);
        return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl! : "/dashboard");
    }
}
