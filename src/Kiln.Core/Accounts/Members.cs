using Kiln.Core.Audit;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Accounts;

public sealed record MemberView(Guid UserId, string? Email, string? DisplayName, WorkspaceRole Role, DateTime JoinedAt);

public sealed class ListMembersQuery(KilnDbContext db)
{
    public Task<List<MemberView>> Run(Guid workspaceId, CancellationToken ct) =>
        (from m in db.WorkspaceMembers
         join u in db.Users on m.UserId equals u.Id
         where m.WorkspaceId == workspaceId
         orderby m.Role descending, m.CreatedAt
         select new MemberView(u.Id, u.Email, u.DisplayName, m.Role, m.CreatedAt)).AsNoTracking().ToListAsync(ct);
}

/// <summary>
/// Membership changes. Owners and admins manage members; only owners grant or take the owner role; a workspace always
/// keeps at least one owner. Nobody is added without consent: people join by accepting an invitation
/// (<see cref="Invitations.InviteMemberCommand"/>).
/// </summary>
public sealed class ManageMembersCommand(KilnDbContext db, IAuditLog audit)
{
    private const string Manage = "manage members";
    private static readonly Error OwnersOnly = Error.Forbidden("forbidden", "Only owners grant, change or remove the owner role.");

    public async Task<Result<MemberView>> ChangeRole(Caller caller, Guid userId, WorkspaceRole role, CancellationToken ct)
    {
        if (caller.RequireAdmin(Manage) is { } forbidden) return forbidden;
        var workspaceId = caller.Workspace;
        var member = await db.WorkspaceMembers.FirstOrDefaultAsync(m => m.WorkspaceId == workspaceId && m.UserId == userId, ct);
        if (member is null) return Error.NotFound("Member");
        if ((member.Role == WorkspaceRole.Owner || role == WorkspaceRole.Owner) && caller.Role != WorkspaceRole.Owner) return OwnersOnly;
        if (member.Role == WorkspaceRole.Owner && role != WorkspaceRole.Owner && await IsLastOwner(workspaceId, ct))
            return Error.Conflict("last_owner", "A workspace needs at least one owner: make someone else owner first.");
        var before = member.Role;
        member.Role = role;
        await db.SaveChangesAsync(ct);
        if (before != role)
            await audit.RecordAsync(AuditEntry.By(caller, AuditActions.MemberRoleChanged, userId.ToString(), new { from = before.WireName(), to = role.WireName() }), ct);
        var user = await db.Users.AsNoTracking().FirstAsync(u => u.Id == userId, ct);
        return new MemberView(user.Id, user.Email, user.DisplayName, role, member.CreatedAt);
    }

    public async Task<Result<bool>> Remove(Caller caller, Guid userId, CancellationToken ct)
    {
        // Anyone may leave; removing others takes an admin.
        var leaving = caller.UserId == userId;
        if (!leaving && caller.RequireAdmin(Manage) is { } forbidden) return forbidden;
        var workspaceId = caller.Workspace;
        var member = await db.WorkspaceMembers.FirstOrDefaultAsync(m => m.WorkspaceId == workspaceId && m.UserId == userId, ct);
        if (member is null) return Error.NotFound("Member");
        if (member.Role == WorkspaceRole.Owner && !leaving && caller.Role != WorkspaceRole.Owner) return OwnersOnly;
        if (member.Role == WorkspaceRole.Owner && await IsLastOwner(workspaceId, ct))
            return Error.Conflict("last_owner", "A workspace needs at least one owner: make someone else owner first.");
        db.WorkspaceMembers.Remove(member);
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(AuditEntry.By(caller, leaving ? AuditActions.MemberLeft : AuditActions.MemberRemoved, userId.ToString(),
            new { role = member.Role.WireName() }), ct);
        return true;
    }

    private async Task<bool> IsLastOwner(Guid workspaceId, CancellationToken ct) =>
        await db.WorkspaceMembers.CountAsync(m => m.WorkspaceId == workspaceId && m.Role == WorkspaceRole.Owner, ct) <= 1;
}

/// <summary>Makes another workspace the user's current one (the UI and cookie/bearer API calls act in it).</summary>
public sealed class SwitchWorkspaceCommand(KilnDbContext db)
{
    public async Task<Result<Guid>> Run(Guid userId, Guid workspaceId, CancellationToken ct)
    {
        if (!await db.WorkspaceMembers.AnyAsync(m => m.UserId == userId && m.WorkspaceId == workspaceId, ct)) return Error.NotFound("Workspace");
        await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(s => s.SetProperty(u => u.CurrentWorkspaceId, workspaceId), ct);
        return workspaceId;
    }
}
