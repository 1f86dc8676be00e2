using System.ComponentModel.DataAnnotations;
using Kiln.Core.Accounts;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Kiln.Web.Pages.Account;

public sealed class SignInModel(SignInManager<KilnUser> signIn, Kiln.Web.Infrastructure.AbuseLimits limits) : PageModel
{
    [BindProperty, Required(ErrorMessage = "Enter your email address.")] public string Email { get; set; } = "";
    [BindProperty, Required(ErrorMessage = "Enter your password.")] public string Password { get; set; } = "";
    [BindProperty, Display(Name = "Keep me signed in")] public bool RememberMe { get; set; }
    [BindProperty(SupportsGet = true)] public string? ReturnUrl { get; set; }

    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        if (!ModelState.IsValid) return Page();
        // The same limits as the API: per IP, per (account, IP) for wrong passwords, and a slowdown that never locks.
        if (await limits.BeforeSignInAsync(HttpContext, Email, ct) is not null)
        {
            ModelState.AddModelError("", "Too many attempts from here; wait a few minutes and try again.");
            return Page();
        }
        var result = await signIn.PasswordSignInAsync(Email.Trim(), Password, RememberMe, lockoutOnFailure: false);
        if (result.RequiresTwoFactor)
            return Redirect($"/signin/two-factor?rememberMe={RememberMe}&returnUrl={Uri.EscapeDataString(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/dashboard")}");
        if (result.IsLockedOut)
        {
            ModelState.AddModelError("", "This account is locked by the operators of this installation.");
            return Page();
        }
        if (!result.Succeeded)
        {
            await limits.SignInFailedAsync(HttpContext, Email, ct);
            ModelState.AddModelError("", "The email or password is wrong.");
            return Page();
        }
        // Only local return URLs: an open redirect would make the sign-in page a phishing tool.
        return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/dashboard");
    }
}
