using System.Globalization;
using System.Text;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using QRCoder;

namespace Kiln.Core.Accounts.TwoFactor;

public static class TwoFactorErrors
{
    public static readonly Error WrongCode = Error.Invalid("invalid_two_factor_code", "That code is not right. Enter the current 6-digit code from your authenticator app, or a recovery code.");
    public static readonly Error NotEnabled = Error.Conflict("two_factor_not_enabled", "Two-factor sign-in is not on for this account.");
    public static readonly Error AlreadyEnabled = Error.Conflict("two_factor_already_enabled", "Two-factor sign-in is already on; turn it off first to use a new authenticator.");
    public static readonly Error InvalidChallenge = Error.Unauthenticated("invalid_two_factor_challenge", "The sign-in challenge is invalid or expired; sign in with your password again.");
    public static readonly Error EnrollmentRequired = Error.Forbidden("two_factor_enrollment_required",
        "This workspace requires two-factor sign-in. Turn it on in your account settings (/account/two-factor) to use the workspace.");
}

/// <summary>What an authenticator app needs: the shared key (to type in) and the otpauth URI (as a QR code).</summary>
public sealed record AuthenticatorSetup(string SharedKey, string OtpAuthUri, string QrSvg);

/// <summary>
/// TOTP (RFC 6238) through ASP.NET Identity's authenticator support: the key lives in Identity's token store, codes are
/// checked by its <c>AuthenticatorTokenProvider</c> (30-second steps, SHA-1, 6 digits, the steps either side accepted).
/// Recovery codes are Kiln's own: hashed, and each spent by a conditional update so it works exactly once.
/// </summary>
public sealed class TwoFactorService(KilnDbContext db, UserManager<KilnUser> users, IUserStore<KilnUser> store, TimeProvider clock, Audit.IAuditLog audit)
{
    public const int RecoveryCodeCount = 10;
    public const string Issuer = "Kiln";

    public async Task<Result<AuthenticatorSetup>> BeginSetupAsync(Guid userId, CancellationToken ct)
    {
        if (await users.FindByIdAsync(userId.ToString()) is not { } user) return Error.NotFound("User");
        if (user.TwoFactorEnabled) return TwoFactorErrors.AlreadyEnabled;
        var key = await users.GetAuthenticatorKeyAsync(user);
        if (string.IsNullOrEmpty(key)) key = await NewKeyAsync(user, ct);
        var uri = OtpAuthUri(user.Email!, key!);
        return new AuthenticatorSetup(FormatKey(key!), uri, QrSvg(uri));
    }

    /// <summary>Turns two-factor sign-in on once the app's first code checks out; returns the recovery codes (shown once).</summary>
    public async Task<Result<string[]>> EnableAsync(Guid userId, string? code, CancellationToken ct)
    {
        if (await users.FindByIdAsync(userId.ToString()) is not { } user) return Error.NotFound("User");
        if (user.TwoFactorEnabled) return TwoFactorErrors.AlreadyEnabled;
        if (string.IsNullOrEmpty(await users.GetAuthenticatorKeyAsync(user))) return Error.Conflict("two_factor_setup_missing", "Start the setup first to get a key for your authenticator app.");
        if (!await VerifyTotpAsync(user, code)) return TwoFactorErrors.WrongCode;
        await SetEnabledAsync(user, true);
        var codes = await NewRecoveryCodesAsync(user.Id, ct);
        await audit.RecordAsync(new Audit.AuditEntry(Audit.AuditActions.TwoFactorEnabled, user.Id, null, user.Email), ct);
        return codes;
    }

    public async Task<Result<bool>> DisableAsync(Guid userId, string? password, CancellationToken ct)
    {
        if (await users.FindByIdAsync(userId.ToString()) is not { } user) return Error.NotFound("User");
        if (!user.TwoFactorEnabled) return TwoFactorErrors.NotEnabled;
        if (!await users.CheckPasswordAsync(user, password ?? "")) return Error.Invalid("wrong_password", "The current password is wrong.");
        await SetEnabledAsync(user, false);
        await NewKeyAsync(user, ct);
        await db.RecoveryCodes.Where(c => c.UserId == userId).ExecuteDeleteAsync(ct);
        await audit.RecordAsync(new Audit.AuditEntry(Audit.AuditActions.TwoFactorDisabled, user.Id, null, user.Email), ct);
        return true;
    }

    public async Task<Result<string[]>> RegenerateRecoveryCodesAsync(Guid userId, string? code, CancellationToken ct)
    {
        if (await users.FindByIdAsync(userId.ToString()) is not { } user) return Error.NotFound("User");
        if (!user.TwoFactorEnabled) return TwoFactorErrors.NotEnabled;
        if (!await VerifyTotpAsync(user, code)) return TwoFactorErrors.WrongCode;
        var codes = await NewRecoveryCodesAsync(user.Id, ct);
        await audit.RecordAsync(new Audit.AuditEntry(Audit.AuditActions.RecoveryCodesRegenerated, user.Id, null, user.Email), ct);
        return codes;
    }

    /// <summary>The second factor at sign-in: a current TOTP code, or an unused recovery code (which is spent). A failure is audited.</summary>
    public async Task<bool> VerifyAsync(KilnUser user, string? code, string? recoveryCode, CancellationToken ct)
    {
        var method = !string.IsNullOrWhiteSpace(code) ? "code" : !string.IsNullOrWhiteSpace(recoveryCode) ? "recovery_code" : "none";
        var ok = method switch
        {
            "code" => await VerifyTotpAsync(user, code!),
            "recovery_code" => await SpendRecoveryCodeAsync(user, recoveryCode!, ct),
            _ => false,
        };
        if (!ok) await audit.RecordAsync(new Audit.AuditEntry(Audit.AuditActions.TwoFactorFailed, user.Id, null, user.Email, new { method }), ct);
        return ok;
    }

    private async Task<bool> SpendRecoveryCodeAsync(KilnUser user, string recoveryCode, CancellationToken ct)
    {
        var hash = HashCode(recoveryCode);
        var now = clock.GetUtcNow().UtcDateTime;
        return await db.RecoveryCodes.Where(c => c.UserId == user.Id && c.Hash == hash && c.UsedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.UsedAt, now), ct) == 1;
    }

    /// <summary>
    /// Identity's own setters (ResetAuthenticatorKeyAsync, SetTwoFactorEnabledAsync) also change the security stamp, which
    /// would sign the user out of every device, this one included, just for starting or finishing a setup. Kiln does not.
    /// </summary>
    private async Task<string> NewKeyAsync(KilnUser user, CancellationToken ct)
    {
        var key = users.GenerateNewAuthenticatorKey();
        await ((IUserAuthenticatorKeyStore<KilnUser>)store).SetAuthenticatorKeyAsync(user, key, ct);
        await users.UpdateAsync(user);
        return key;
    }

    private async Task SetEnabledAsync(KilnUser user, bool enabled)
    {
        user.TwoFactorEnabled = enabled;
        await users.UpdateAsync(user);
    }

    /// <summary>
    /// A current code from the app, each code accepted once (RFC 6238 §5.2): the authenticator provider takes codes of
    /// the neighbouring 30-second steps too, so without this a code seen over someone's shoulder would work for another
    /// minute and a half. The last accepted code is kept in Identity's token store (no security stamp change).
    /// </summary>
    private async Task<bool> VerifyTotpAsync(KilnUser user, string? code)
    {
        var digits = new string((code ?? "").Where(char.IsDigit).ToArray());
        if (digits.Length != 6 || !await users.VerifyTwoFactorTokenAsync(user, users.Options.Tokens.AuthenticatorTokenProvider, digits)) return false;
        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        if (await users.GetAuthenticationTokenAsync(user, TokenProvider, LastCodeToken) is { } last && last.Split(':') is [var usedCode, var usedAt]
            && usedCode == digits && long.TryParse(usedAt, System.Globalization.CultureInfo.InvariantCulture, out var at) && now - at < CodeReuseWindowSeconds)
            return false;
        await users.SetAuthenticationTokenAsync(user, TokenProvider, LastCodeToken, $"{digits}:{now.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        return true;
    }

    private const string TokenProvider = "Kiln";
    private const string LastCodeToken = "LastAuthenticatorCode";
    /// <summary>Longer than the five 30-second steps the authenticator provider accepts a code in.</summary>
    private const long CodeReuseWindowSeconds = 300;

    private async Task<string[]> NewRecoveryCodesAsync(Guid userId, CancellationToken ct)
    {
        await db.RecoveryCodes.Where(c => c.UserId == userId).ExecuteDeleteAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var codes = Enumerable.Range(0, RecoveryCodeCount).Select(_ => NewRecoveryCode()).ToArray();
        foreach (var c in codes) db.RecoveryCodes.Add(new RecoveryCode { UserId = userId, Hash = HashCode(c), CreatedAt = now });
        await db.SaveChangesAsync(ct);
        return codes;
    }

    /// <summary>Ten characters from an alphabet without look-alikes, shown as two groups of five.</summary>
    private static string NewRecoveryCode()
    {
        const string alphabet = "abcdefghjkmnpqrstuvwxyz23456789";
        var chars = System.Security.Cryptography.RandomNumberGenerator.GetItems<char>(alphabet, 10);
        return new string(chars, 0, 5) + "-" + new string(chars, 5, 5);
    }

    /// <summary>Codes are compared without case, spaces or dashes, as people type them.</summary>
    internal static string HashCode(string code) =>
        ApiKeyFormat.Hash(new string(code.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant).ToArray()));

    public static string OtpAuthUri(string email, string key) =>
        $"otpauth://totp/{Uri.EscapeDataString(Issuer)}:{Uri.EscapeDataString(email)}?secret={key}&issuer={Uri.EscapeDataString(Issuer)}&digits=6&period=30";

    private static string FormatKey(string key)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < key.Length; i += 4) sb.Append(key.AsSpan(i, Math.Min(4, key.Length - i))).Append(' ');
        return sb.ToString().TrimEnd().ToLowerInvariant();
    }

    public static string QrSvg(string text)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(text, QRCodeGenerator.ECCLevel.M);
        return new SvgQRCode(data).GetGraphic(4);
    }
}

/// <summary>
/// The short-lived proof, between password and code, that the password was right: the user id and security stamp
/// protected with Data Protection (the key ring every web process shares), valid for 5 minutes.
/// </summary>
public sealed class TwoFactorChallenges(IDataProtectionProvider protection, UserManager<KilnUser> users)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);
    private ITimeLimitedDataProtector Protector => protection.CreateProtector("Kiln.TwoFactorChallenge").ToTimeLimitedDataProtector();

    public string Issue(KilnUser user) => Protector.Protect(string.Create(CultureInfo.InvariantCulture, $"{user.Id:N}|{user.SecurityStamp}"), Lifetime);

    public async Task<KilnUser?> ReadAsync(string? challenge)
    {
        if (string.IsNullOrEmpty(challenge) || challenge.Length > 2000) return null;
        string payload;
        try { payload = Protector.Unprotect(challenge); }
        catch (System.Security.Cryptography.CryptographicException) { return null; }
        var parts = payload.Split('|');
        if (parts.Length != 2 || await users.FindByIdAsync(Guid.ParseExact(parts[0], "N").ToString()) is not { } user) return null;
        return string.Equals(user.SecurityStamp, parts[1], StringComparison.Ordinal) && user.TwoFactorEnabled ? user : null;
    }
}

/// <summary>An owner decides whether the workspace's members must use two-factor sign-in.</summary>
public sealed class SetWorkspaceTwoFactorCommand(KilnDbContext db, Audit.IAuditLog audit)
{
    public async Task<Result<Workspace>> Run(Caller caller, bool required, CancellationToken ct)
    {
        if (caller.Role != WorkspaceRole.Owner || caller.UserId is null) return Error.Forbidden("forbidden", "Only workspace owners decide whether two-factor sign-in is required.");
        if (await db.Workspaces.FirstOrDefaultAsync(w => w.Id == caller.Workspace, ct) is not { } ws) return Error.NotFound("Workspace");
        if (required && !await db.Users.AnyAsync(u => u.Id == caller.UserId && u.TwoFactorEnabled, ct))
            return Error.Conflict("two_factor_required_for_owner", "Turn on two-factor sign-in for your own account first.");
        ws.RequireTwoFactor = required;
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(Audit.AuditEntry.By(caller, Audit.AuditActions.WorkspaceTwoFactorRequired, null, new { required }), ct);
        return ws;
    }
}
