using Kiln.Core.Common;
using System.ComponentModel.DataAnnotations;
using Kiln.Core.Accounts;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Workspace;

/// <summary>The workspace's members and their roles: add one by email, remove one, or leave.</summary>
public sealed class MembersModel(ListMembersQuery listMembers, ManageMembersCommand members) : WorkspacePageModel
{
    private const string Self = "/workspace/members";

    public IReadOnlyList<MemberView> Members { get; private set; } = [];

    [BindProperty, MaxLength(256)] public string? MemberEmail { get; set; }
    [BindProperty] public WorkspaceRole MemberRole { get; set; } = WorkspaceRole.Member;

    public async Task OnGetAsync(CancellationToken ct) => Members = await listMembers.Run(Workspace, ct);

    public async Task<IActionResult> OnPostAddMemberAsync(CancellationToken ct)
    {
        var r = await members.Add(Me.Caller, MemberEmail ?? "", MemberRole, ct);
        if (Refused(r.Error, Self) is { } refused) return refused;
        TempData["Flash"] = r.Error is { } e ? e.Message : $"{r.Value!.Email} is now a {r.Value.Role.WireName()} of this workspace.";
        return Redirect(Self);
    }

    public async Task<IActionResult> OnPostRemoveMemberAsync(Guid userId, CancellationToken ct)
    {
        var r = await members.Remove(Me.Caller, userId, ct);
        if (Refused(r.Error, Self) is { } refused) return refused;
        if (r.Error is { Kind: ErrorKind.NotFound }) return NotFoundPage();
        TempData["Flash"] = r.Error is { } e ? e.Message : userId == Me.UserId ? "You left the workspace." : "Member removed.";
        return Redirect(userId == Me.UserId && r.Error is null ? "/dashboard" : Self);
    }
}
