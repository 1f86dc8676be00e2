using Kiln.Core.Accounts.Sessions;
using Kiln.Core.Common;
using Kiln.Core.Credits;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Accounts.Teams;

/// <summary>
/// A team workspace next to the personal one. The creator owns it and acts in it at once; it starts with no credits
/// (the free grant is per person, on sign-up) — owners buy or are granted credits for it. API keys cannot create
/// workspaces: they belong to one.
/// </summary>
public sealed class CreateWorkspaceCommand(KilnDbContext db, CreditsLedger ledger, TimeProvider clock)
{
    /// <summary>Workspaces one person may own; a guard against scripted sign-up-and-create loops, not a product limit.</summary>
    public const int MaxOwned = 20;

    public async Task<Result<Workspace>> Run(Caller caller, string name, CancellationToken ct)
    {
        if (caller.UserId is not { } userId) return Error.Forbidden("forbidden", "API keys belong to one workspace and cannot create others.");
        name = (name ?? "").Trim();
        if (TextRules.CheckName(name, "invalid_name", "workspace name", 200) is { } bad) return bad;
        var owned = await db.WorkspaceMembers.CountAsync(m => m.UserId == userId && m.Role == WorkspaceRole.Owner, ct);
        if (owned >= MaxOwned)
            return Error.Conflict("too_many_workspaces", $"You already own {owned} workspaces; delete or hand one over before creating another.");

        var now = clock.GetUtcNow().UtcDateTime;
        var workspace = new Workspace { Id = Ids.New(), Name = name, IsPersonal = false, CreatedAt = now };
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        db.Workspaces.Add(workspace);
        db.WorkspaceMembers.Add(new WorkspaceMember { WorkspaceId = workspace.Id, UserId = userId, Role = WorkspaceRole.Owner, CreatedAt = now });
        await db.SaveChangesAsync(ct);
        await ledger.EnsureAccountAsync(workspace.Id, ct);
        await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(s => s.SetProperty(u => u.CurrentWorkspaceId, workspace.Id), ct);
        await tx.CommitAsync(ct);
        return workspace;
    }
}

/// <summary>
/// An owner hands the workspace to another member: they become owner, the caller stays on as admin. A personal
/// workspace is its person's and is never handed over (invite people to a team workspace instead).
/// </summary>
public sealed class TransferOwnershipCommand(KilnDbContext db)
{
    public async Task<Result<MemberView>> Run(Caller caller, Guid toUserId, CancellationToken ct)
    {
        if (caller.UserId is not { } me || caller.Role != WorkspaceRole.Owner || caller.WorkspaceId is null)
            return Error.Forbidden("forbidden", "Only an owner hands over the workspace.");
        var workspaceId = caller.Workspace;
        if (toUserId == me) return Error.Invalid("invalid_member", "Choose another member to hand the workspace to.");
        var workspace = await db.Workspaces.FirstOrDefaultAsync(w => w.Id == workspaceId, ct);
        if (workspace is null) return Error.NotFound("Workspace");
        var members = await db.WorkspaceMembers.Where(m => m.WorkspaceId == workspaceId && (m.UserId == me || m.UserId == toUserId)).ToListAsync(ct);
        var target = members.FirstOrDefault(m => m.UserId == toUserId);
        var self = members.FirstOrDefault(m => m.UserId == me);
        // Someone outside the workspace is not found, whatever the workspace is.
        if (target is null || self is null) return Error.NotFound("Member");
        if (workspace.IsPersonal)
            return Error.Conflict("personal_workspace", "A personal workspace stays with its person. Create a team workspace to share ownership.");
        target.Role = WorkspaceRole.Owner;
        self.Role = WorkspaceRole.Admin;
        await db.SaveChangesAsync(ct);
        var user = await db.Users.AsNoTracking().FirstAsync(u => u.Id == toUserId, ct);
        return new MemberView(user.Id, user.Email, user.DisplayName, WorkspaceRole.Owner, target.CreatedAt);
    }
}

/// <summary>
/// An operator signs a user out everywhere without locking the account: every session, refresh token, access token and
/// cookie stops at its next request; the person can sign in again (with their password — useful after a stolen device).
/// </summary>
public sealed class ForceSignOutCommand(KilnDbContext db, SessionRevocations revocations)
{
    public async Task<Result<bool>> Run(Caller caller, Guid userId, CancellationToken ct)
    {
        if (caller.RequireOperator() is { } forbidden) return forbidden;
        if (!await db.Users.AnyAsync(u => u.Id == userId, ct)) return Error.NotFound("User");
        await revocations.RevokeAllAsync(userId, "admin_sign_out", ct);
        return true;
    }
}
