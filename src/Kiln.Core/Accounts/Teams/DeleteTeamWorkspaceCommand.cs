using Kiln.Core.Audit;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Core.Privacy;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Accounts.Teams;

public sealed record DeletedWorkspace(Guid Id, string Name);

/// <summary>
/// An owner deletes the team workspace they act in, confirming by typing its name. Its blobs and rows go (members,
/// invitations, keys, jobs, uploads, notes, webhooks…); the ledger, payments and subscriptions stay for accounting under
/// the bare workspace id, as account deletion keeps them (<see cref="WorkspaceErasure"/>). Refused while jobs run (their
/// credits are still held) and while a subscription is live (it would keep charging). A personal workspace goes only
/// with its account.
/// </summary>
public sealed class DeleteTeamWorkspaceCommand(KilnDbContext db, WorkspaceErasure erasure, IAuditLog audit)
{
    public static readonly Error OwnersOnly = Error.Forbidden("forbidden", "Only an owner deletes the workspace.");

    public async Task<Result<DeletedWorkspace>> Run(Caller caller, string? confirmName, CancellationToken ct)
    {
        if (caller.UserId is not { } me || caller.WorkspaceId is not { } workspaceId || caller.Role != WorkspaceRole.Owner) return OwnersOnly;
        if (await db.Workspaces.AsNoTracking().FirstOrDefaultAsync(w => w.Id == workspaceId, ct) is not { } workspace) return Error.NotFound("Workspace");
        if (workspace.IsPersonal)
            return Error.Conflict("personal_workspace", "Your personal workspace goes only with your account; delete the account under Your data instead.");
        if (!string.Equals((confirmName ?? "").Trim(), workspace.Name, StringComparison.Ordinal))
            return Error.Invalid("confirmation_mismatch", $"Type the workspace's name, {workspace.Name}, exactly to confirm.");
        var live = (await db.Set<Billing.Subscription>().IgnoreQueryFilters().AsNoTracking().Where(s => s.WorkspaceId == workspaceId).ToListAsync(ct))
            .Any(s => s.IsLive && !s.CancelAtPeriodEnd);
        if (live)
            return Error.Conflict("subscription_active", "This workspace has a live subscription; cancel it under Billing first so it stops charging.");

        var members = await db.WorkspaceMembers.IgnoreQueryFilters().CountAsync(m => m.WorkspaceId == workspaceId, ct);
        // Unfinished jobs are counted under the lock job creation takes, in the erasure's transaction: one created meanwhile is not lost with its hold open.
        if (await erasure.EraseWhenIdleAsync(workspaceId, ct) is > 0 and var running) return JobsRunning(running);
        // Recorded after the erasure, outside the workspace's rows (which are gone): operators find it by its target.
        await audit.RecordAsync(new AuditEntry(AuditActions.WorkspaceDeleted, me, null, workspaceId.ToString(), new { name = workspace.Name, members }), ct);
        return new DeletedWorkspace(workspaceId, workspace.Name);
    }

    private static Error JobsRunning(int running) => Error.Conflict("jobs_running", running == 1
        ? "A job is still running in this workspace; cancel it or let it finish, then delete the workspace."
        : $"{running} jobs are still running in this workspace; cancel them or let them finish, then delete the workspace.");
}
