using Kiln.Core.Accounts.Email;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Kiln.Web.Pages.Account;

/// <summary>
/// Where verification and email-change links land. Opening the link shows a button; the link is spent only when it is
/// pressed (a POST), so a mail scanner that fetches every link cannot use it up.
/// </summary>
public sealed class ConfirmEmailModel(AccountTokens tokens, ConfirmEmailCommand confirm) : PageModel
{
    [BindProperty(SupportsGet = true)] public string? Token { get; set; }
    public AccountToken? Open { get; private set; }
    public string? Error { get; private set; }
    public EmailConfirmed? Done { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        Open = await tokens.PeekAsync(Token, ct, AccountTokenPurpose.VerifyEmail, AccountTokenPurpose.ChangeEmail);
        if (Open is null) Error = AccountEmailErrors.InvalidLink.Message;
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken ct)
    {
        var result = await confirm.Run(Token, ct);
        if (result.Error is { } e) Error = e.Message;
        else Done = result.Value;
        return Page();
    }
}
