using Kiln.Core.Common;
using System.ComponentModel.DataAnnotations;
using Kiln.Core.Accounts;
using Kiln.Core.Accounts.Invitations;
using Microsoft.AspNetCore.Mvc;

namespace Kiln.Web.Pages.Workspace;

/// <summary>The workspace's members and their roles: invite one by email, withdraw an invitation, remove one, or leave.</summary>
public sealed class MembersModel(ListMembersQuery listMembers, ManageMembersCommand members, InviteMemberCommand invite,
    ListInvitationsQuery listInvitations, RevokeInvitationCommand revokeInvitation, GetMembershipQuery memberships,
    Core.Accounts.Teams.TransferOwnershipCommand transfer) : WorkspacePageModel
{
    private const string Self = "/workspace/members";

    public IReadOnlyList<MemberView> Members { get; private set; } = [];

    [BindProperty, MaxLength(256)] public string? MemberEmail { get; set; }
    [BindProperty] public WorkspaceRole MemberRole { get; set; } = WorkspaceRole.Member;

    public IReadOnlyList<WorkspaceInvitation> Invitations { get; private set; } = [];

    // A viewer may leave; inviting and removing others are refused by the use cases (admins only).
    protected override bool ViewersMayPost => true;

    /// <summary>Owners of a team workspace may hand it to another member.</summary>
    public bool CanTransfer { get; private set; }

    public async Task OnGetAsync(CancellationToken ct)
    {
        Members = await listMembers.Run(Workspace, ct);
        var current = await memberships.Run(Me.UserId!.Value, Workspace, ct);
        CanTransfer = current is { Role: WorkspaceRole.Owner, Workspace.IsPersonal: false };
        if (CanManage) Invitations = await listInvitations.Run(Workspace, ct);
    }

    public async Task<IActionResult> OnPostInviteAsync(CancellationToken ct)
    {
        var r = await invite.Run(Me.Caller, MemberEmail ?? "", MemberRole, ct);
        if (Refused(r.Error, Self) is { } refused) return refused;
        if (r.Error is { } e) TempData["Flash"] = e.Message;
        else
        {
            // Until Kiln sends email, the inviter passes the link on; it is shown this once (only its hash is stored).
            TempData["Flash"] = $"Invitation for {r.Value!.Invitation.Email} created. Send them this link (valid 7 days, shown once): "
                + $"{Request.Scheme}://{Request.Host}/invitations/{r.Value.Token}";
        }
        return Redirect(Self);
    }

    public async Task<IActionResult> OnPostRevokeInvitationAsync(Guid invitationId, CancellationToken ct)
    {
        var r = await revokeInvitation.Run(Me.Caller, invitationId, ct);
        if (Refused(r.Error, Self) is { } refused) return refused;
        TempData["Flash"] = r.Error is { } e ? e.Message : "Invitation withdrawn; its link no longer works.";
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

    public async Task<IActionResult> OnPostTransferAsync(Guid userId, CancellationToken ct)
    {
        var r = await transfer.Run(Me.Caller, userId, ct);
        if (Refused(r.Error, Self) is { } refused) return refused;
        if (r.Error is { Kind: ErrorKind.NotFound }) return NotFoundPage();
        TempData["Flash"] = r.Error is { } e ? e.Message : $"{r.Value!.Email} owns the workspace now; you stay on as admin.";
        return Redirect(Self);
    }
}
