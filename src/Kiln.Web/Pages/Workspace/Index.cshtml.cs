using System.ComponentModel.DataAnnotations;
using Kiln.Core.Accounts;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Workspace;

/// <summary>The workspace overview: its name (renamed here), your role, and where each setting lives.</summary>
public sealed class IndexModel(GetMembershipQuery memberships, RenameWorkspaceCommand rename, Core.Accounts.Teams.CreateWorkspaceCommand create,
    Core.Privacy.SetMemberPrivacyCommand setPrivacy, Core.Accounts.Teams.DeleteTeamWorkspaceCommand delete) : WorkspacePageModel
{
    public Membership? Current { get; private set; }

    // Creating a team changes nothing in this workspace, so a viewer here may; renaming is checked by its use case.
    protected override bool ViewersMayPost => true;

    [BindProperty, MaxLength(200)] public string? Name { get; set; }

    [BindProperty, MaxLength(200)] public string? NewName { get; set; }

    [BindProperty] public bool MemberPrivacy { get; set; }

    /// <summary>The name typed to confirm deleting the team workspace.</summary>
    [BindProperty, MaxLength(200)] public string? ConfirmName { get; set; }

    /// <summary>Owners of a team workspace may delete it (a personal one goes with its account).</summary>
    public bool CanDelete => Current is { Role: WorkspaceRole.Owner, Workspace.IsPersonal: false };

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
        if (string.IsNullOrWhiteSpace(Name)) ModelState.AddModelError(nameof(Name), "Give the workspace a name.");
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

    public async Task<IActionResult> OnPostPrivacyAsync(CancellationToken ct)
    {
        var r = await setPrivacy.Run(Me.Caller, MemberPrivacy, ct);
        if (Refused(r.Error, "/workspace") is { } refused) return refused;
        TempData["Flash"] = r.Error?.Message ?? (MemberPrivacy ? "Members now see only their own work and what is shared." : "Members now see all of the workspace's work.");
        return Redirect("/workspace");
    }

    public async Task<IActionResult> OnPostDeleteAsync(CancellationToken ct)
    {
        var r = await delete.Run(Me.Caller, ConfirmName, ct);
        if (Refused(r.Error, "/workspace") is { } refused) return refused;
        if (r.Error is { } e)
        {
            ModelState.AddModelError(nameof(ConfirmName), e.Message);
            await LoadAsync(ct);
            return Page();
        }
        TempData["Flash"] = $"{r.Value!.Name} was deleted with its members, jobs and files.";
        return Redirect("/dashboard");
    }

    /// <summary>A team workspace; the creator acts in it at once.</summary>
    public async Task<IActionResult> OnPostCreateAsync(CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(NewName)) ModelState.AddModelError(nameof(NewName), "Give the team a name.");
        if (ModelState.IsValid)
        {
            var r = await create.Run(Me.Caller, NewName!, ct);
            if (r.Error is { } e) ModelState.AddModelError(nameof(NewName), e.Message);
            else { TempData["Flash"] = $"Created {r.Value!.Name}; you are acting in it now."; return Redirect("/workspace"); }
        }
        await LoadAsync(ct);
        return Page();
    }

    private async Task LoadAsync(CancellationToken ct, bool keepName = false)
    {
        Current = await memberships.Run(Me.UserId!.Value, Workspace, ct);
        if (!keepName) Name = Current?.Workspace.Name;
        MemberPrivacy = Current?.Workspace.MemberPrivacy ?? false;
    }
}
