using Kiln.Core.Accounts.Email;
using Kiln.Core.Accounts.Sessions;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Accounts.Profile;

/// <summary>A sign-in provider linked to the account (Google, GitHub, an OIDC issuer).</summary>
public sealed record ConnectedProvider(string Provider, string DisplayName, string? Subject);

/// <summary>
/// The sign-in providers linked to an account, for the profile page. Today it lists Identity's external logins
/// (<c>AspNetUserLogins</c>), which stay empty until social sign-in is configured; the social sign-in area may replace
/// this registration with one that knows more (issuer names, linked-at dates). Social, OIDC and external-JWT sign-ins
/// (Accounts/External) store their links there too.
/// </summary>
public interface IConnectedProvidersQuery
{
    Task<IReadOnlyList<ConnectedProvider>> Run(Guid userId, CancellationToken ct);
}

public sealed class IdentityConnectedProvidersQuery(UserManager<KilnUser> users) : IConnectedProvidersQuery
{
    public async Task<IReadOnlyList<ConnectedProvider>> Run(Guid userId, CancellationToken ct)
    {
        if (await users.FindByIdAsync(userId.ToString()) is not { } user) return [];
        return (await users.GetLoginsAsync(user)).Select(l => new ConnectedProvider(l.LoginProvider, l.ProviderDisplayName ?? l.LoginProvider, null))
            .OrderBy(p => p.DisplayName, StringComparer.OrdinalIgnoreCase).ToList();
    }
}

public sealed record AccountProfile(Guid UserId, string Email, string? DisplayName, bool EmailConfirmed, bool VerificationRequired, bool TwoFactorEnabled,
    int RecoveryCodesLeft, DateTime CreatedAt);

public sealed class GetProfileQuery(KilnDbContext db, UserManager<KilnUser> users, EmailVerification verification)
{
    public async Task<Result<AccountProfile>> Run(Guid userId, CancellationToken ct)
    {
        if (await users.FindByIdAsync(userId.ToString()) is not { } user) return Error.NotFound("User");
        var codes = await db.RecoveryCodes.CountAsync(c => c.UserId == userId && c.UsedAt == null, ct);
        return new AccountProfile(user.Id, user.Email!, user.DisplayName, user.EmailConfirmed, verification.Required, user.TwoFactorEnabled, codes, user.CreatedAt);
    }
}

public sealed class UpdateProfileCommand(UserManager<KilnUser> users)
{
    public async Task<Result<KilnUser>> Run(Guid userId, string? displayName, CancellationToken ct)
    {
        if (await users.FindByIdAsync(userId.ToString()) is not { } user) return Error.NotFound("User");
        displayName = string.IsNullOrWhiteSpace(displayName) ? null : displayName.Trim();
        if (displayName is not null && TextRules.CheckName(displayName, "invalid_display_name", "display name", CreateAccountCommand.MaxDisplayName) is { } bad) return bad;
        user.DisplayName = displayName;
        await users.UpdateAsync(user);
        return user;
    }
}

/// <summary>
/// The account's signed-in devices, newest use first: browsers whose cookie can still be live (used within
/// <see cref="AuthOptions.BrowserSessionDays"/>) and apps with an unexpired refresh token.
/// </summary>
public sealed class ListSessionsQuery(KilnDbContext db, TimeProvider clock, Microsoft.Extensions.Options.IOptions<AuthOptions> options)
{
    public async Task<List<UserSession>> Run(Guid userId, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var browserSince = now - options.Value.BrowserSessionLifetime;
        var live = db.RefreshTokens.Where(t => t.UserId == userId && t.UsedAt == null && t.ExpiresAt > now).Select(t => t.SessionId);
        return await db.UserSessions.AsNoTracking().Where(s => s.UserId == userId && s.RevokedAt == null
                && (s.Kind == SessionKinds.Browser ? s.LastUsedAt > browserSince : live.Contains(s.Id)))
            .OrderByDescending(s => s.LastUsedAt).ThenBy(s => s.Id).Take(100).ToListAsync(ct);
    }
}

public sealed class RevokeSessionCommand(KilnDbContext db, SessionRevocations revocations, Audit.IAuditLog audit)
{
    public async Task<Result<Guid>> Run(Guid userId, Guid sessionId, CancellationToken ct)
    {
        if (!await db.UserSessions.AnyAsync(s => s.Id == sessionId && s.UserId == userId && s.RevokedAt == null, ct)) return Error.NotFound("Session");
        await revocations.RevokeSessionAsync(userId, sessionId, "revoked", ct);
        await audit.RecordAsync(new Audit.AuditEntry(Audit.AuditActions.SessionRevoked, userId, null, sessionId.ToString()), ct);
        return sessionId;
    }
}

public sealed record NotificationSettings(bool JobFinished, bool JobFailed, bool CreditsLow, bool PaymentReceipt, bool Invitation);

/// <summary>Which notification emails a user receives (all, unless switched off). A change is audited.</summary>
public sealed class NotificationSettingsStore(KilnDbContext db, TimeProvider clock, Audit.IAuditLog audit)
{
    public async Task<NotificationSettings> Get(Guid userId, CancellationToken ct)
    {
        var p = await db.NotificationPreferences.AsNoTracking().FirstOrDefaultAsync(x => x.UserId == userId, ct) ?? new NotificationPreferences();
        return new NotificationSettings(p.JobFinished, p.JobFailed, p.CreditsLow, p.PaymentReceipt, p.Invitation);
    }

    public async Task<NotificationSettings> Set(Guid userId, NotificationSettings s, CancellationToken ct)
    {
        var row = await db.NotificationPreferences.FirstOrDefaultAsync(x => x.UserId == userId, ct);
        if (row is null) db.NotificationPreferences.Add(row = new NotificationPreferences { UserId = userId });
        row.JobFinished = s.JobFinished;
        row.JobFailed = s.JobFailed;
        row.CreditsLow = s.CreditsLow;
        row.PaymentReceipt = s.PaymentReceipt;
        row.Invitation = s.Invitation;
        row.UpdatedAt = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(new Audit.AuditEntry(Audit.AuditActions.NotificationPreferencesChanged, userId, null, null, s), ct);
        return s;
    }
}
