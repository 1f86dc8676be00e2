using Kiln.Core.Accounts.Sessions;
using Kiln.Core.Audit;
using Kiln.Core.Common;
using Microsoft.AspNetCore.Identity;

namespace Kiln.Core.Accounts;

/// <summary>
/// An operator locks or unlocks an account. A lock ends every session, refresh token, access token and cookie at
/// once (security stamp) and refuses sign-in until unlocked. Wrong passwords never lock an account: that is a lock an
/// attacker could set on anyone (see the sign-in limits in docs/security.md).
/// </summary>
public sealed class LockUserCommand(UserManager<KilnUser> users, SessionRevocations revocations, IAuditLog audit)
{
    public async Task<Result<KilnUser>> Run(Caller caller, Guid userId, bool locked, CancellationToken ct)
    {
        if (caller.RequireOperator() is { } forbidden) return forbidden;
        if (locked && caller.UserId == userId) return Error.Conflict("cannot_lock_self", "You cannot lock your own account.");
        if (await users.FindByIdAsync(userId.ToString()) is not { } user) return Error.NotFound("User");
        await users.SetLockoutEnabledAsync(user, true);
        await users.SetLockoutEndDateAsync(user, locked ? DateTimeOffset.MaxValue : null);
        if (locked) await revocations.RevokeAllAsync(user.Id, "locked", ct);
        await audit.RecordAsync(new AuditEntry(locked ? AuditActions.UserLocked : AuditActions.UserUnlocked, caller.UserId, null, user.Id.ToString(), new { user.Email }), ct);
        return user;
    }
}

/// <summary>Changes the caller's password; every session of the account ends (sign in again on each device).</summary>
public sealed class ChangePasswordCommand(UserManager<KilnUser> users, SessionRevocations revocations, IAuditLog audit)
{
    public async Task<Result<KilnUser>> Run(Guid userId, string currentPassword, string newPassword, CancellationToken ct)
    {
        if (await users.FindByIdAsync(userId.ToString()) is not { } user) return Error.NotFound("User");
        var changed = await users.ChangePasswordAsync(user, currentPassword, newPassword);
        if (!changed.Succeeded)
            return changed.Errors.Any(e => e.Code == nameof(IdentityErrorDescriber.PasswordMismatch))
                ? Error.Invalid("wrong_password", "The current password is wrong.")
                : Error.Invalid("invalid_password", string.Join(" ", changed.Errors.Select(e => e.Description)));
        await revocations.RevokeAllAsync(user.Id, "password_changed", ct);
        await audit.RecordAsync(new AuditEntry(AuditActions.PasswordChanged, user.Id, null, user.Id.ToString()), ct);
        return user;
    }
}
