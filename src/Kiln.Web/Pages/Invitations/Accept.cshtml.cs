using Kiln.Core.Accounts.Invitations;
using Kiln.Web.Infrastructure;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Kiln.Web.Pages.Invitations;

/// <summary>
/// Where an invitation link lands: what it offers, then accept or decline — signed in with the invited address
/// (or after signing in or up with it; the sign-in and sign-up pages bring the invitee back here).
/// </summary>
public sealed class AcceptModel(GetInvitationQuery get, RespondToInvitationCommand respond, CurrentUser me) : PageModel
{
    public InvitationView? Invitation { get; private set; }
    public bool SignedIn => me.UserId is not null;
    public bool WrongAccount { get; private set; }
    public string? Error { get; private set; }

    public async Task OnGetAsync(string token, CancellationToken ct)
    {
        Invitation = await get.Run(token, ct);
        WrongAccount = Invitation is not null && SignedIn
            && !string.Equals(me.Email, Invitation.Invitation.Email, StringComparison.OrdinalIgnoreCase);
    }

    public Task<IActionResult> OnPostAcceptAsync(string token, CancellationToken ct) => RespondAsync(token, true, ct);

    public Task<IActionResult> OnPostDeclineAsync(string token, CancellationToken ct) => RespondAsync(token, false, ct);

    private async Task<IActionResult> RespondAsync(string token, bool accept, CancellationToken ct)
    {
        if (me.UserId is not { } userId) return Redirect($"/signin?returnUrl={Uri.EscapeDataString(Request.Path)}");
        var r = await respond.Run(userId, token, accept, ct);
        if (r.Error is { } e)
        {
            Error = e.Message;
            await OnGetAsync(token, ct);
            return Page();
        }
        TempData["Flash"] = accept ? "You joined the workspace; you are now working in it." : "Invitation declined.";
        return Redirect(accept ? "/dashboard" : "/");
    }
}
