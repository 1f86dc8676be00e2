using System.ComponentModel.DataAnnotations;
using Kiln.Core.Accounts;
using Kiln.Core.Accounts.TwoFactor;
using Kiln.Core.RateLimits;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Kiln.Web.Pages.Account;

/// <summary>The second step of a web sign-in: Identity's two-factor cookie says the password was right; this checks the code.</summary>
public sealed class SignInTwoFactorModel(SignInManager<KilnUser> signIn, TwoFactorService twoFactor, WindowCounter counter) : PageModel
{
    [BindProperty, Display(Name = "Code from your authenticator app")] public string? Code { get; set; }
    [BindProperty, Display(Name = "Or a recovery code")] public string? RecoveryCode { get; set; }
    [BindProperty(SupportsGet = true)] public string? ReturnUrl { get; set; }
    [BindProperty(SupportsGet = true)] public bool RememberMe { get; set; }

    public async Task<IActionResult> OnGetAsync() =>
        await signIn.GetTwoFactorAuthenticationUserAsync() is null ? Redirect("/signin") : Page();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (await signIn.GetTwoFactorAuthenticationUserAsync() is not { } user) return Redirect("/signin");
        var failures = $"signin-2fa-fail:{user.Id:N}";
        if (await counter.PeekAsync(failures, TimeSpan.FromMinutes(15), ct) >= Api.AccountSettingsApi.MaxTwoFactorFailures)
        {
            ModelState.AddModelError("", "Too many wrong codes; wait 15 minutes and try again.");
            return Page();
        }
        if (!await twoFactor.VerifyAsync(user, Code, RecoveryCode, ct))
        {
            await counter.HitAsync(failures, int.MaxValue, TimeSpan.FromMinutes(15), ct);
            ModelState.AddModelError(nameof(Code), TwoFactorErrors.WrongCode.Message);
            return Page();
        }
        await HttpContext.SignOutAsync(IdentityConstants.TwoFactorUserIdScheme);
        await signIn.SignInWithClaimsAsync(user, RememberMe, [new System.Security.Claims.Claim("amr", "mfa")]);
        return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/dashboard");
    }
}
