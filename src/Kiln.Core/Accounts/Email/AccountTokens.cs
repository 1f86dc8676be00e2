using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Accounts.Email;

/// <summary>Issues and redeems the single-use secrets of emailed links.</summary>
public sealed class AccountTokens(KilnDbContext db, TimeProvider clock)
{
    public const string Prefix = "kat_";
    public static readonly TimeSpan VerifyLifetime = TimeSpan.FromHours(24);
    public static readonly TimeSpan ResetLifetime = TimeSpan.FromHours(1);

    public static string Hash(string token) => ApiKeyFormat.Hash(token);

    /// <summary>Stages a new token on the context (saved with the caller's change) and returns its secret. Older open tokens of the same purpose stop working.</summary>
    public async Task<string> IssueAsync(Guid userId, string purpose, TimeSpan lifetime, string? newEmail, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await db.Set<AccountToken>().Where(t => t.UserId == userId && t.Purpose == purpose && t.UsedAt == null && t.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.ExpiresAt, now), ct);
        var token = Prefix + Ids.Token(32);
        db.Add(new AccountToken { Hash = Hash(token), UserId = userId, Purpose = purpose, NewEmail = newEmail, CreatedAt = now, ExpiresAt = now.Add(lifetime) });
        return token;
    }

    /// <summary>The open token of one of <paramref name="purposes"/> without spending it (to show a confirmation page), or null.</summary>
    public async Task<AccountToken?> PeekAsync(string? token, CancellationToken ct, params string[] purposes)
    {
        if (!WellFormed(token)) return null;
        var hash = Hash(token!);
        var now = clock.GetUtcNow().UtcDateTime;
        return await db.Set<AccountToken>().AsNoTracking()
            .FirstOrDefaultAsync(t => t.Hash == hash && purposes.Contains(t.Purpose) && t.UsedAt == null && t.ExpiresAt > now, ct);
    }

    /// <summary>Spends the token: of two concurrent redemptions exactly one gets it, the other gets null (as for unknown or expired ones).</summary>
    public async Task<AccountToken?> RedeemAsync(string? token, CancellationToken ct, params string[] purposes)
    {
        if (await PeekAsync(token, ct, purposes) is not { } open) return null;
        var now = clock.GetUtcNow().UtcDateTime;
        var won = await db.Set<AccountToken>().Where(t => t.Hash == open.Hash && t.UsedAt == null && t.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.UsedAt, now), ct);
        return won == 1 ? open : null;
    }

    private static bool WellFormed(string? token) => token is { Length: > 10 and < 200 } && token.StartsWith(Prefix, StringComparison.Ordinal);
}
