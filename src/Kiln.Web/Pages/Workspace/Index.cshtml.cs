using System.ComponentModel.DataAnnotations;
using Kiln.Core.Accounts;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Workspace;

/// <summary>The workspace overview: its name (renamed here), your role, and where each setting lives.</summary>
public sealed class IndexModel(GetMembershipQuery memberships, RenameWorkspaceCommand rename) : WorkspacePageModel
{
    public Membership? Current { get; private set; }

    [BindProperty, Required(ErrorMessage = "Give the workspace a name."), MaxLength(200)] public string? Name { get; set; }

    /// <summary>The deliveries link of the one-page settings (<c>/workspace?webhook=…</c>) moved with the webhooks.</summary>
    [BindProperty(SupportsGet = true, Name = "webhook")] public Guid? WebhookId { get; set; }

    public async Task<IActionResult> OnGetAsync(CancellationToken ct)
    {
        if (WebhookId is { } id) return Redirect($"/workspace/webhooks?webhook={id}#webhook-deliveries");
        await LoadAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostRenameAsync(CancellationToken ct)
    {
        if (ModelState.IsValid)
        {
            var r = await rename.Run(Me.Caller, Name!, ct);
            if (Refused(r.Error, "/workspace") is { } refused) return refused;
            if (r.Error is { } e) ModelState.AddModelError(nameof(Name), e.Message);
            else { TempData["Flash"] = "Workspace renamed."; return Redirect("/workspace"); }
        }
        await LoadAsync(ct, keepName: true);
        return Page();
    }

    private async Task LoadAsync(CancellationToken ct, bool keepName = false)
    {
        Current = await memberships.Run(Me.UserId!.Value, Workspace, ct);
        if (!keepName) Name = Current?.Workspace.Name;
    }
}
