using System.ComponentModel.DataAnnotations;
using Kiln.Core.Accounts.Email;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Kiln.Web.Pages.Account;

/// <summary>Chooses a new password from an emailed link; every device is signed out.</summary>
public sealed class ResetPasswordModel(AccountTokens tokens, ResetPasswordCommand reset, Infrastructure.AbuseLimits limits) : PageModel
{
    [BindProperty(SupportsGet = true)] public string? Token { get; set; }
    [BindProperty, Required(ErrorMessage = "Choose a new password."), Display(Name = "New password")] public string NewPassword { get; set; } = "";
    public bool LinkValid { get; private set; }

    public async Task OnGetAsync(CancellationToken ct) =>
        LinkValid = await tokens.PeekAsync(Token, ct, AccountTokenPurpose.ResetPassword) is not null;

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        LinkValid = true;
        if (!ModelState.IsValid) return Page();
        var limit = await limits.PerMinuteAsync("password-reset-confirm", Infrastructure.AbuseLimits.ClientKey(HttpContext), limits.Options.AuthPerMinute, ct);
        if (!limit.Allowed)
        {
            ModelState.AddModelError("", "Too many attempts from here; wait a minute and try again.");
            return Page();
        }
        var result = await reset.Run(Token, NewPassword, ct);
        if (result.Error is { } e)
        {
            if (e.Code == "invalid_password") ModelState.AddModelError(nameof(NewPassword), e.Message);
            else { LinkValid = false; }
            return Page();
        }
        TempData["Flash"] = "Your password was changed and every device was signed out. Sign in with the new password.";
        return Redirect("/signin");
    }
}
