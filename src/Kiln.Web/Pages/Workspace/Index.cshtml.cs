using System.ComponentModel.DataAnnotations;
using Kiln.Core.Accounts;
using Kiln.Web.Queries;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Workspace;

public sealed class IndexModel(GetMembershipQuery memberships, ListMembersQuery listMembers, ListApiKeysQuery keys,
    CreateApiKeyCommand createKey, RevokeApiKeyCommand revokeKey, RenameWorkspaceCommand rename, ManageMembersCommand members) : KilnPageModel
{
    public Membership? Current { get; private set; }
    public IReadOnlyList<MemberView> Members { get; private set; } = [];
    public IReadOnlyList<ApiKey> Keys { get; private set; } = [];
    /// <summary>A newly created key's secret: shown in this one response and never again.</summary>
    public string? NewSecret { get; private set; }
    public bool CanManage => Me.Role >= WorkspaceRole.Admin;
    public Guid? CurrentUserId => Me.UserId;

    [BindProperty, Required(ErrorMessage = "Give the workspace a name."), MaxLength(200)] public string? Name { get; set; }
    [BindProperty, MaxLength(200)] public string? KeyName { get; set; }
    [BindProperty, MaxLength(256)] public string? MemberEmail { get; set; }
    [BindProperty] public WorkspaceRole MemberRole { get; set; } = WorkspaceRole.Member;

    public async Task OnGetAsync(CancellationToken ct) => await LoadAsync(ct);

    public async Task<IActionResult> OnPostRenameAsync(CancellationToken ct)
    {
        if (!CanManage) return Forbidden();
        if (ModelState.IsValid)
        {
            var r = await rename.Run(Workspace, Name!, ct);
            if (r.Error is { } e) ModelState.AddModelError(nameof(Name), e.Message);
            else { TempData["Flash"] = "Workspace renamed."; return Redirect("/workspace"); }
        }
        await LoadAsync(ct, keepName: true);
        return Page();
    }

    public async Task<IActionResult> OnPostCreateKeyAsync(CancellationToken ct)
    {
        if (!CanManage) return Forbidden();
        ModelState.Remove(nameof(Name));
        var r = await createKey.Run(Workspace, Me.UserId, KeyName ?? "", ct);
        if (r.Error is { } e) ModelState.AddModelError(nameof(KeyName), e.Message);
        else { NewSecret = r.Value!.Secret; KeyName = null; }
        await LoadAsync(ct);
        return Page();
    }

    public async Task<IActionResult> OnPostRevokeKeyAsync(Guid keyId, CancellationToken ct)
    {
        if (!CanManage) return Forbidden();
        var r = await revokeKey.Run(Workspace, keyId, ct);
        if (r.Error is { Status: 404 }) return NotFoundPage();
        TempData["Flash"] = $"API key “{r.Value!.Name}” revoked; it stops working at once.";
        return Redirect("/workspace");
    }

    public async Task<IActionResult> OnPostAddMemberAsync(CancellationToken ct)
    {
        if (!CanManage) return Forbidden();
        var r = await members.Add(Workspace, Me.Role!.Value, MemberEmail ?? "", MemberRole, ct);
        TempData["Flash"] = r.Error is { } e ? e.Message : $"{r.Value!.Email} is now a {r.Value.Role.ToString().ToLowerInvariant()} of this workspace.";
        return Redirect("/workspace#members");
    }

    public async Task<IActionResult> OnPostRemoveMemberAsync(Guid userId, CancellationToken ct)
    {
        if (!CanManage && userId != Me.UserId) return Forbidden();
        var r = await members.Remove(Workspace, Me.Role!.Value, Me.UserId!.Value, userId, ct);
        if (r.Error is { Status: 404 }) return NotFoundPage();
        TempData["Flash"] = r.Error is { } e ? e.Message : userId == Me.UserId ? "You left the workspace." : "Member removed.";
        return Redirect(userId == Me.UserId && r.Error is null ? "/dashboard" : "/workspace#members");
    }

    private RedirectResult Forbidden()
    {
        TempData["Flash"] = "Only workspace owners and admins can change this.";
        return Redirect("/workspace");
    }

    private async Task LoadAsync(CancellationToken ct, bool keepName = false)
    {
        Current = await memberships.Run(Me.UserId!.Value, Workspace, ct);
        if (!keepName) Name = Current?.Workspace.Name;
        Members = await listMembers.Run(Workspace, ct);
        Keys = await keys.Run(Workspace, ct);
    }
}
