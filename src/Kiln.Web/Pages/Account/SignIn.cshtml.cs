using System.ComponentModel.DataAnnotations;
using Kiln.Core.Accounts;
using Kiln.Core.Audit;
using Kiln.Web.Infrastructure.ExternalAuth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Kiln.Web.Pages.Account;

public sealed class SignInModel(SignInManager<KilnUser> signIn, Kiln.Web.Infrastructure.AbuseLimits limits, IAuditLog audit) : PageModel
{
    [BindProperty, Required(ErrorMessage = "Enter your email address.")] public string Email { get; set; } = "";
    [BindProperty, Required(ErrorMessage = "Enter your password.")] public string Password { get; set; } = "";
    [BindProperty, Display(Name = "Keep me signed in")] public bool RememberMe { get; set; }
    [BindProperty(SupportsGet = true)] public string? ReturnUrl { get; set; }
    /// <summary>Why a sign-in through a provider came back unfinished (a stable code, see <see cref="ExternalSignInFailure"/>).</summary>
    [BindProperty(SupportsGet = true, Name = "error")] public string? ExternalError { get; set; }

    /// <summary>One button per configured provider (OpenID Connect issuers, GitHub, Discord, Google).</summary>
    public IReadOnlyList<AuthenticationScheme> Providers { get; private set; } = [];

    public string? ExternalErrorSentence => ExternalSignInFailure.Sentence(ExternalError);

    public async Task OnGetAsync() => Providers = await ProvidersAsync();

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        Providers = await ProvidersAsync();
        if (!ModelState.IsValid) return Page();
        // The same limits as the API: per IP, per (account, IP) for wrong passwords, and a slowdown that never locks.
        if (await limits.BeforeSignInAsync(HttpContext, Email, ct) is not null)
        {
            ModelState.AddModelError("", "Too many attempts from here; wait a few minutes and try again.");
            return Page();
        }
        var user = Email.Trim() is { Length: > 0 and <= CreateAccountCommand.MaxEmail } email ? await signIn.UserManager.FindByEmailAsync(email) : null;
        var result = user is null ? Microsoft.AspNetCore.Identity.SignInResult.Failed : await signIn.PasswordSignInAsync(user, Password, RememberMe, lockoutOnFailure: false);
        if (result.RequiresTwoFactor)
            return Redirect($"/signin/two-factor?rememberMe={RememberMe}&returnUrl={Uri.EscapeDataString(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/dashboard")}");
        if (result.IsLockedOut)
        {
            await audit.RecordAsync(SignInAudit.Failed(user, Email, "locked", "web"), ct);
            ModelState.AddModelError("", "This account is locked by the operators of this installation.");
            return Page();
        }
        if (!result.Succeeded)
        {
            await limits.SignInFailedAsync(HttpContext, Email, ct);
            await audit.RecordAsync(SignInAudit.Failed(user, Email, user is null ? "unknown_email" : "wrong_password", "web"), ct);
            ModelState.AddModelError("", "The email or password is wrong.");
            return Page();
        }
        await audit.RecordAsync(SignInAudit.Succeeded(user!, "web", "password"), ct);
        return LocalRedirect(SafeReturnUrl);
    }

    /// <summary>Starts the round trip to a provider: state, nonce and PKCE are the handler's; the return URL stays local.</summary>
    public async Task<IActionResult> OnPostExternalAsync(string? provider)
    {
        if ((await ProvidersAsync()).FirstOrDefault(s => s.Name == provider) is not { } scheme) return Redirect("/signin?error=" + ExternalSignInFailure.Failed);
        var callback = "/signin/external/callback?returnUrl=" + Uri.EscapeDataString(SafeReturnUrl);
        return Challenge(signIn.ConfigureExternalAuthenticationProperties(scheme.Name, callback), scheme.Name);
    }

    private async Task<List<AuthenticationScheme>> ProvidersAsync() =>
        (await signIn.GetExternalAuthenticationSchemesAsync()).Where(s => SignInProviders.IsProvider(s.Name)).ToList();

    // Only local return URLs: an open redirect would make the sign-in page a phishing tool.
    private string SafeReturnUrl => Url.IsLocalUrl(ReturnUrl) ? ReturnUrl! : "/dashboard";
}
