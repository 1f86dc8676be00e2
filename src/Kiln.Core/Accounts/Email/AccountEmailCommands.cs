using Kiln.Core.Accounts.Sessions;
using Kiln.Core.Common;
using Kiln.Core.Credits;
using Kiln.Core.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Accounts.Email;

public static class AccountEmailErrors
{
    public static readonly Error InvalidLink = Error.Invalid("invalid_link", "This link is invalid, was already used or has expired. Ask for a new one.");
    public static readonly Error NotVerified = Error.Forbidden("email_not_verified",
        "Confirm your email address first: open the link we sent you (or ask for a new one in your account settings).");
}

/// <summary>
/// Whether an account's email must be verified, and the free grant that waits for it. The grant's ledger key is the one
/// sign-up uses (<c>signup:{user}</c>), so it is given exactly once whichever way it comes.
/// </summary>
public sealed class EmailVerification(KilnDbContext db, CreditsLedger ledger, IOptions<EmailOptions> email, IOptions<AccountsOptions> accounts)
{
    public bool Required => email.Value.VerificationRequired;

    public static string GrantKey(Guid userId) => $"signup:{userId:N}";

    /// <summary>Null when the user may buy (verified, or verification not required), else <see cref="AccountEmailErrors.NotVerified"/>.</summary>
    public async Task<Error?> RequireVerifiedAsync(Guid? userId, CancellationToken ct)
    {
        if (!Required || userId is not { } id) return null;
        var confirmed = await db.Users.AsNoTracking().Where(u => u.Id == id).Select(u => u.EmailConfirmed).FirstOrDefaultAsync(ct);
        return confirmed ? null : AccountEmailErrors.NotVerified;
    }

    /// <summary>Grants the free credits to the user's personal workspace (once; a repeat finds the ledger entry and does nothing).</summary>
    public async Task<Error?> GrantWelcomeAsync(Guid userId, CancellationToken ct)
    {
        if (accounts.Value.FreeGrant <= 0) return null;
        var personal = await db.WorkspaceMembers.AsNoTracking()
            .Where(m => m.UserId == userId && m.Role == WorkspaceRole.Owner)
            .Join(db.Workspaces.Where(w => w.IsPersonal), m => m.WorkspaceId, w => w.Id, (m, w) => (Guid?)w.Id)
            .FirstOrDefaultAsync(ct);
        if (personal is not { } workspaceId) return null;
        var grant = await ledger.PostAsync(workspaceId, LedgerEntryKind.Grant, accounts.Value.FreeGrant, GrantKey(userId), "Welcome grant", null, ct);
        return grant.Error;
    }
}

/// <summary>Stages the verification email (token + outbox row) on the context: sign-up saves it in its own transaction.</summary>
public sealed class SendVerificationEmailCommand(KilnDbContext db, AccountTokens tokens, EmailOutbox outbox, UserManager<KilnUser> users, Audit.IAuditLog audit)
{
    public bool SmtpConfigured => outbox.Options.SmtpConfigured;

    public async Task StageAsync(KilnUser user, CancellationToken ct)
    {
        var token = await tokens.IssueAsync(user.Id, AccountTokenPurpose.VerifyEmail, AccountTokens.VerifyLifetime, null, ct);
        outbox.Add(user.Email!, EmailTemplates.VerifyEmail(user.DisplayName, outbox.Options.Link($"/account/confirm-email?token={token}")), user.Id);
    }

    /// <summary>Sends a new link (the old one stops working); a verified account gets a conflict.</summary>
    public async Task<Result<bool>> Run(Guid userId, CancellationToken ct)
    {
        if (await users.FindByIdAsync(userId.ToString()) is not { } user) return Error.NotFound("User");
        if (user.EmailConfirmed) return Error.Conflict("already_verified", "Your email address is already confirmed.");
        await StageAsync(user, ct);
        await db.SaveChangesAsync(ct);
        await RecordSentAsync(user, ct);
        return true;
    }

    /// <summary>Audits a staged verification email once it is saved (sign-up records it inside its own transaction).</summary>
    public Task RecordSentAsync(KilnUser user, CancellationToken ct) =>
        audit.RecordAsync(new Audit.AuditEntry(Audit.AuditActions.VerificationEmailSent, user.Id, null, user.Email), ct);
}

public sealed record EmailConfirmed(Guid UserId, string Email, bool Changed);

/// <summary>
/// Redeems a verification or email-change link. Verifying marks the address confirmed and gives the free grant (once).
/// An email change moves the account to the new address (which the link proved is the user's), tells the old address,
/// and ends every session — the sign-in name changed.
/// </summary>
public sealed class ConfirmEmailCommand(AccountTokens tokens, UserManager<KilnUser> users, EmailVerification verification,
    EmailOutbox outbox, SessionRevocations revocations, Audit.IAuditLog audit)
{
    public async Task<Result<EmailConfirmed>> Run(string? token, CancellationToken ct)
    {
        if (await tokens.PeekAsync(token, ct, AccountTokenPurpose.VerifyEmail, AccountTokenPurpose.ChangeEmail) is not { } open) return AccountEmailErrors.InvalidLink;
        if (await users.FindByIdAsync(open.UserId.ToString()) is not { } user) return AccountEmailErrors.InvalidLink;
        if (open.Purpose == AccountTokenPurpose.ChangeEmail && await users.FindByEmailAsync(open.NewEmail!) is { } other && other.Id != user.Id)
            return Error.Conflict("email_taken", "Another account uses this address now; the change cannot be made.");
        if (await tokens.RedeemAsync(token, ct, open.Purpose) is null) return AccountEmailErrors.InvalidLink;

        if (open.Purpose == AccountTokenPurpose.VerifyEmail)
        {
            if (!user.EmailConfirmed)
            {
                user.EmailConfirmed = true;
                await users.UpdateAsync(user);
            }
            if (await verification.GrantWelcomeAsync(user.Id, ct) is { } e) return e;
            await audit.RecordAsync(new Audit.AuditEntry(Audit.AuditActions.EmailVerified, user.Id, null, user.Email), ct);
            return new EmailConfirmed(user.Id, user.Email!, Changed: false);
        }

        var oldEmail = user.Email!;
        var newEmail = open.NewEmail!;
        await users.SetEmailAsync(user, newEmail);
        await users.SetUserNameAsync(user, newEmail);
        user.EmailConfirmed = true;
        var updated = await users.UpdateAsync(user);
        if (!updated.Succeeded) return Error.Conflict("email_taken", string.Join(" ", updated.Errors.Select(x => x.Description)));
        await outbox.SendAsync(oldEmail, EmailTemplates.EmailChanged(user.DisplayName, newEmail), user.Id, ct);
        await revocations.RevokeAllAsync(user.Id, "email_changed", ct);
        await verification.GrantWelcomeAsync(user.Id, ct);
        await audit.RecordAsync(new Audit.AuditEntry(Audit.AuditActions.EmailChanged, user.Id, null, newEmail, new { from = oldEmail }), ct);
        return new EmailConfirmed(user.Id, newEmail, Changed: true);
    }
}

/// <summary>
/// Sends a reset link if an account has this address — and answers the same either way, so the form tells nobody
/// whether an address is registered. Callers limit how often it runs (per IP and per address).
/// </summary>
public sealed class RequestPasswordResetCommand(KilnDbContext db, AccountTokens tokens, EmailOutbox outbox, UserManager<KilnUser> users, Audit.IAuditLog audit)
{
    public async Task Run(string? email, CancellationToken ct)
    {
        email = (email ?? "").Trim();
        if (TextRules.CheckEmail(email) is not null) return;
        // Every well-formed request is audited (operators see a reset storm against an address); the requester sees none of it.
        if (await users.FindByEmailAsync(email) is not { } user)
        {
            await Record(null, email, "unknown_email", ct);
            return;
        }
        if (await users.IsLockedOutAsync(user))
        {
            await Record(user.Id, email, "locked", ct);
            return;
        }
        var token = await tokens.IssueAsync(user.Id, AccountTokenPurpose.ResetPassword, AccountTokens.ResetLifetime, null, ct);
        outbox.Add(user.Email!, EmailTemplates.PasswordReset(user.DisplayName, outbox.Options.Link($"/account/reset-password?token={token}")), user.Id);
        await db.SaveChangesAsync(ct);
        await Record(user.Id, email, "sent", ct);
    }

    private Task Record(Guid? userId, string email, string outcome, CancellationToken ct) =>
        audit.RecordAsync(new Audit.AuditEntry(Audit.AuditActions.PasswordResetRequested, userId, null, email, new { outcome }), ct);
}

/// <summary>
/// Sets a new password from a reset link (single use, 1 hour). Every session, refresh token and cookie of the account
/// ends. Opening the emailed link also proves the mailbox, so the address counts as verified.
/// </summary>
public sealed class ResetPasswordCommand(AccountTokens tokens, UserManager<KilnUser> users, SessionRevocations revocations, EmailVerification verification,
    Audit.IAuditLog audit)
{
    public async Task<Result<KilnUser>> Run(string? token, string? newPassword, CancellationToken ct)
    {
        if (await tokens.PeekAsync(token, ct, AccountTokenPurpose.ResetPassword) is not { } open) return AccountEmailErrors.InvalidLink;
        if (await users.FindByIdAsync(open.UserId.ToString()) is not { } user) return AccountEmailErrors.InvalidLink;
        foreach (var validator in users.PasswordValidators)
        {
            var check = await validator.ValidateAsync(users, user, newPassword ?? "");
            if (!check.Succeeded) return Error.Invalid("invalid_password", string.Join(" ", check.Errors.Select(e => e.Description)));
        }
        if (await tokens.RedeemAsync(token, ct, AccountTokenPurpose.ResetPassword) is null) return AccountEmailErrors.InvalidLink;
        user.PasswordHash = users.PasswordHasher.HashPassword(user, newPassword!);
        user.EmailConfirmed = true;
        await users.UpdateAsync(user);
        await revocations.RevokeAllAsync(user.Id, "password_reset", ct);
        await verification.GrantWelcomeAsync(user.Id, ct);
        await audit.RecordAsync(new Audit.AuditEntry(Audit.AuditActions.PasswordReset, user.Id, null, user.Email), ct);
        return user;
    }
}

/// <summary>Starts an email change: checks the password, then sends a confirmation link to the new address. Nothing changes until it is opened.</summary>
public sealed class RequestEmailChangeCommand(KilnDbContext db, AccountTokens tokens, EmailOutbox outbox, UserManager<KilnUser> users)
{
    public async Task<Result<string>> Run(Guid userId, string? newEmail, string? currentPassword, CancellationToken ct)
    {
        if (await users.FindByIdAsync(userId.ToString()) is not { } user) return Error.NotFound("User");
        newEmail = (newEmail ?? "").Trim();
        if (TextRules.CheckEmail(newEmail) is { } bad) return bad;
        if (!await users.CheckPasswordAsync(user, currentPassword ?? "")) return Error.Invalid("wrong_password", "The current password is wrong.");
        if (string.Equals(newEmail, user.Email, StringComparison.OrdinalIgnoreCase)) return Error.Invalid("same_email", "This is already your email address.");
        if (await users.FindByEmailAsync(newEmail) is not null) return Error.Conflict("email_taken", "An account with this email already exists.");
        var token = await tokens.IssueAsync(user.Id, AccountTokenPurpose.ChangeEmail, AccountTokens.VerifyLifetime, newEmail, ct);
        outbox.Add(newEmail, EmailTemplates.ConfirmEmailChange(user.DisplayName, newEmail, outbox.Options.Link($"/account/confirm-email?token={token}")), user.Id);
        await db.SaveChangesAsync(ct);
        return newEmail;
    }
}
