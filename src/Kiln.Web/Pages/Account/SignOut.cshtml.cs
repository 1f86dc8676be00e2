using Kiln.Core.Accounts;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Kiln.Web.Pages.Account;

/// <summary>Signing out is a POST (with antiforgery) so a link on another site cannot sign people out.</summary>
public sealed class SignOutModel(SignInManager<KilnUser> signIn, Kiln.Core.Accounts.Sessions.SessionRevocations revocations, Kiln.Web.Infrastructure.CurrentUser me) : PageModel
{
    public void OnGet() { }

    public async Task<IActionResult> OnPostAsync()
    {
        await signIn.SignOutAsync();
        return Redirect("/");
    }

    /// <summary>Sign out everywhere: every session, app token and browser cookie of the account stops working at once.</summary>
    public async Task<IActionResult> OnPostEverywhereAsync(CancellationToken ct)
    {
        if (me.UserId is { } userId) await revocations.RevokeAllAsync(userId, "logout_all", ct);
        await signIn.SignOutAsync();
        TempData["Flash"] = "You are signed out on every device and app.";
        return Redirect("/");
    }
}
