using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Accounts.Invitations;

/// <summary>What an inviter sees: the link to pass on (shown once) until Kiln can email it.</summary>
public sealed record CreatedInvitation(WorkspaceInvitation Invitation, string Token);

/// <summary>What the invitee sees on the invitation page.</summary>
public sealed record InvitationView(WorkspaceInvitation Invitation, string WorkspaceName, string? InvitedBy);

public static class InvitationToken
{
    public const string Prefix = "kinv_";
    public static string New() => Prefix + Ids.Token(32);
    public static string Hash(string token) => ApiKeyFormat.Hash(token);
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(7);
}

public static class InvitationErrors
{
    public static readonly Error NotFound = Error.NotFound("invitation_not_found", "This invitation does not exist, was already used, was withdrawn or has expired.");
    public static readonly Error WrongAccount = Error.Forbidden("invitation_wrong_account",
        "This invitation was sent to another email address. Sign in with the invited address (or sign up with it) to accept it.");
}

/// <summary>
/// Invites someone by email. The answer is the same whether or not an account with that address exists, so the
/// endpoint cannot be used to find out who has a Kiln account. Inviting the same address again replaces the open
/// invitation (the old link stops working).
/// </summary>
public sealed class InviteMemberCommand(KilnDbContext db, TimeProvider clock, Audit.IAuditLog audit, Email.NotificationEmails notifications)
{
    public async Task<Result<CreatedInvitation>> Run(Caller caller, string email, WorkspaceRole role, CancellationToken ct)
    {
        if (caller.RequireAdmin("invite members") is { } forbidden) return forbidden;
        if (role == WorkspaceRole.Owner && caller.Role != WorkspaceRole.Owner)
            return Error.Forbidden("forbidden", "Only owners grant, change or remove the owner role.");
        email = (email ?? "").Trim();
        if (TextRules.CheckEmail(email) is { } bad) return bad;
        var workspaceId = caller.Workspace;
        var normalized = email.ToUpperInvariant();
        var now = clock.GetUtcNow().UtcDateTime;
        await db.WorkspaceInvitations.IgnoreQueryFilters()
            .Where(i => i.WorkspaceId == workspaceId && i.NormalizedEmail == normalized && i.AcceptedAt == null && i.DeclinedAt == null && i.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.RevokedAt, now), ct);
        var token = InvitationToken.New();
        var invitation = new WorkspaceInvitation
        {
            Id = Ids.New(), WorkspaceId = workspaceId, Email = email, NormalizedEmail = normalized, Role = role,
            TokenHash = InvitationToken.Hash(token), InvitedByUserId = caller.UserId, CreatedAt = now, ExpiresAt = now.Add(InvitationToken.Lifetime),
        };
        db.WorkspaceInvitations.Add(invitation);
        // The email goes out through the outbox, committed with the invitation; the link is still returned for passing on by hand.
        var workspaceName = await db.Workspaces.Where(w => w.Id == workspaceId).Select(w => w.Name).FirstAsync(ct);
        var inviter = await db.Users.Where(u => u.Id == caller.UserId).Select(u => u.DisplayName ?? u.Email).FirstOrDefaultAsync(ct);
        await notifications.StageInvitationAsync(email, workspaceName, inviter, role, token, ct);
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(Audit.AuditEntry.By(caller, Audit.AuditActions.InvitationCreated, email, new { invitation.Id, role = role.WireName() }), ct);
        return new CreatedInvitation(invitation, token);
    }
}

public sealed class ListInvitationsQuery(KilnDbContext db, TimeProvider clock)
{
    /// <summary>The workspace's open invitations, newest first.</summary>
    public async Task<List<WorkspaceInvitation>> Run(Guid workspaceId, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return await db.WorkspaceInvitations.IgnoreQueryFilters().AsNoTracking()
            .Where(i => i.WorkspaceId == workspaceId && i.AcceptedAt == null && i.DeclinedAt == null && i.RevokedAt == null && i.ExpiresAt > now)
            .OrderByDescending(i => i.CreatedAt).ToListAsync(ct);
    }
}

public sealed class RevokeInvitationCommand(KilnDbContext db, TimeProvider clock, Audit.IAuditLog audit)
{
    public async Task<Result<Guid>> Run(Caller caller, Guid invitationId, CancellationToken ct)
    {
        if (caller.RequireAdmin("withdraw invitations") is { } forbidden) return forbidden;
        var workspaceId = caller.Workspace;
        var now = clock.GetUtcNow().UtcDateTime;
        var n = await db.WorkspaceInvitations.IgnoreQueryFilters()
            .Where(i => i.Id == invitationId && i.WorkspaceId == workspaceId && i.AcceptedAt == null && i.DeclinedAt == null && i.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(i => i.RevokedAt, now), ct);
        if (n == 0) return Error.NotFound("Invitation");
        await audit.RecordAsync(Audit.AuditEntry.By(caller, Audit.AuditActions.InvitationRevoked, invitationId.ToString()), ct);
        return invitationId;
    }
}

/// <summary>Reads an open invitation by its token, for the page the link opens.</summary>
public sealed class GetInvitationQuery(KilnDbContext db, TimeProvider clock)
{
    public async Task<InvitationView?> Run(string? token, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 200) return null;
        var hash = InvitationToken.Hash(token);
        var invitation = await db.WorkspaceInvitations.IgnoreQueryFilters().AsNoTracking().FirstOrDefaultAsync(i => i.TokenHash == hash, ct);
        if (invitation is null || !invitation.IsOpen(clock.GetUtcNow().UtcDateTime)) return null;
        var workspace = await db.Workspaces.AsNoTracking().Where(w => w.Id == invitation.WorkspaceId).Select(w => w.Name).FirstOrDefaultAsync(ct);
        if (workspace is null) return null;
        var inviter = invitation.InvitedByUserId is { } by
            ? await db.Users.AsNoTracking().Where(u => u.Id == by).Select(u => u.DisplayName ?? u.Email).FirstOrDefaultAsync(ct)
            : null;
        return new InvitationView(invitation, workspace, inviter);
    }
}

/// <summary>
/// Accepts or declines an invitation. Accepting needs the signed-in user's email to be the invited one; it makes them
/// a member (or raises nothing if they already are) and switches them into the workspace. The token is single-use: the
/// first accept or decline closes it (a conditional UPDATE, so two clicks cannot both win).
/// </summary>
public sealed class RespondToInvitationCommand(KilnDbContext db, TimeProvider clock, Audit.IAuditLog audit)
{
    public async Task<Result<WorkspaceInvitation>> Run(Guid userId, string? token, bool accept, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 200) return InvitationErrors.NotFound;
        var hash = InvitationToken.Hash(token);
        var now = clock.GetUtcNow().UtcDateTime;
        var invitation = await db.WorkspaceInvitations.IgnoreQueryFilters().AsNoTracking().FirstOrDefaultAsync(i => i.TokenHash == hash, ct);
        if (invitation is null || !invitation.IsOpen(now)) return InvitationErrors.NotFound;
        var user = await db.Users.AsNoTracking().FirstOrDefaultAsync(u => u.Id == userId, ct);
        if (user is null || !string.Equals(user.NormalizedEmail, invitation.NormalizedEmail, StringComparison.Ordinal)) return InvitationErrors.WrongAccount;

        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var closed = accept
            ? await db.WorkspaceInvitations.IgnoreQueryFilters().Where(i => i.Id == invitation.Id && i.AcceptedAt == null && i.DeclinedAt == null && i.RevokedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(i => i.AcceptedAt, now).SetProperty(i => i.AcceptedByUserId, userId), ct)
            : await db.WorkspaceInvitations.IgnoreQueryFilters().Where(i => i.Id == invitation.Id && i.AcceptedAt == null && i.DeclinedAt == null && i.RevokedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(i => i.DeclinedAt, now), ct);
        if (closed == 0) return InvitationErrors.NotFound;
        if (accept)
        {
            if (!await db.WorkspaceMembers.AnyAsync(m => m.WorkspaceId == invitation.WorkspaceId && m.UserId == userId, ct))
                db.WorkspaceMembers.Add(new WorkspaceMember { WorkspaceId = invitation.WorkspaceId, UserId = userId, Role = invitation.Role, CreatedAt = now });
            await db.SaveChangesAsync(ct);
            await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(s => s.SetProperty(u => u.CurrentWorkspaceId, invitation.WorkspaceId), ct);
        }
        await audit.RecordAsync(new Audit.AuditEntry(accept ? Audit.AuditActions.InvitationAccepted : Audit.AuditActions.InvitationDeclined, userId,
            invitation.WorkspaceId, invitation.Email, new { invitation.Id, role = invitation.Role.WireName() }), ct);
        await tx.CommitAsync(ct);
        return invitation;
    }
}
