using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Accounts.Sessions;

/// <summary>A new refresh token for a session: the secret goes to the client once, the database keeps its hash.</summary>
public sealed record IssuedRefreshToken(Guid UserId, Guid SessionId, string Token, DateTime ExpiresAt);

public static class RefreshTokenFormat
{
    public const string Prefix = "krt_";

    public static string New() => Prefix + Ids.Token(32);

    public static string Hash(string token) => ApiKeyFormat.Hash(token);
}

public static class SessionErrors
{
    public static readonly Error Invalid = Error.Unauthenticated("invalid_refresh_token", "The refresh token is invalid, expired or signed out; sign in again.");
    public static readonly Error Reused = Error.Unauthenticated("refresh_token_reused",
        "This refresh token was already used. As a precaution this session is now signed out on every device that shared it; sign in again.");
}

/// <summary>
/// Starts a session at sign-in: an app's refresh-token family (<see cref="Run"/>) or a browser's cookie session
/// (<see cref="StartBrowserAsync"/>). The device's network comes from the request (<see cref="Audit.IAuditOrigin"/>).
/// </summary>
public sealed class StartSessionCommand(KilnDbContext db, IOptions<AuthOptions> options, TimeProvider clock, Audit.IAuditOrigin origin)
{
    public async Task<IssuedRefreshToken> Run(Guid userId, string? userAgent, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var session = NewSession(userId, SessionKinds.Api, userAgent, now);
        db.Add(session);
        var token = RefreshTokenFormat.New();
        var expires = now.Add(options.Value.RefreshTokenLifetime);
        db.Add(new RefreshToken { Hash = RefreshTokenFormat.Hash(token), SessionId = session.Id, UserId = userId, CreatedAt = now, ExpiresAt = expires });
        await db.SaveChangesAsync(ct);
        return new IssuedRefreshToken(userId, session.Id, token, expires);
    }

    /// <summary>A browser signed in: its cookie carries the returned id, and revoking the row ends the cookie.</summary>
    public async Task<Guid> StartBrowserAsync(Guid userId, CancellationToken ct)
    {
        var session = NewSession(userId, SessionKinds.Browser, origin.UserAgent, clock.GetUtcNow().UtcDateTime);
        db.Add(session);
        await db.SaveChangesAsync(ct);
        return session.Id;
    }

    private UserSession NewSession(Guid userId, string kind, string? userAgent, DateTime now) => new()
    {
        Id = Ids.New(), UserId = userId, CreatedAt = now, LastUsedAt = now, Kind = kind,
        UserAgent = string.IsNullOrWhiteSpace(userAgent) ? null : userAgent.Length > 300 ? userAgent[..300] : userAgent,
        IpNetwork = Audit.IpTruncation.Truncate(origin.RemoteIp),
    };
}

/// <summary>
/// Exchanges a refresh token for its successor (rotation). The token is spent with a conditional UPDATE, so of two
/// concurrent uses exactly one wins; presenting a spent token again means it was copied — the whole session (family) is
/// revoked and the caller gets <c>refresh_token_reused</c>.
/// </summary>
public sealed class RefreshSessionCommand(KilnDbContext db, IOptions<AuthOptions> options, TimeProvider clock, SessionRevocations revocations, Audit.IAuditLog audit)
{
    public async Task<Result<IssuedRefreshToken>> Run(string? presented, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(presented) || presented.Length > 200 || !presented.StartsWith(RefreshTokenFormat.Prefix, StringComparison.Ordinal))
            return SessionErrors.Invalid;
        var hash = RefreshTokenFormat.Hash(presented);
        var now = clock.GetUtcNow().UtcDateTime;
        var token = await db.Set<RefreshToken>().AsNoTracking().FirstOrDefaultAsync(t => t.Hash == hash, ct);
        if (token is null) return SessionErrors.Invalid;
        var session = await db.Set<UserSession>().AsNoTracking().FirstOrDefaultAsync(s => s.Id == token.SessionId, ct);
        if (session is null || session.RevokedAt is not null || token.ExpiresAt <= now) return SessionErrors.Invalid;

        var spent = await db.Set<RefreshToken>().Where(t => t.Hash == hash && t.UsedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.UsedAt, now), ct);
        if (spent == 0)
        {
            await revocations.RevokeSessionAsync(token.UserId, token.SessionId, "reuse", ct);
            await audit.RecordAsync(new Audit.AuditEntry(Audit.AuditActions.RefreshTokenReused, token.UserId, null, token.SessionId.ToString()), ct);
            return SessionErrors.Reused;
        }
        if (await db.Users.AsNoTracking().Where(u => u.Id == token.UserId).Select(u => new { u.LockoutEnd }).FirstOrDefaultAsync(ct) is not { } user
            || user.LockoutEnd > clock.GetUtcNow())
            return SessionErrors.Invalid;

        var next = RefreshTokenFormat.New();
        var expires = now.Add(options.Value.RefreshTokenLifetime);
        db.Add(new RefreshToken { Hash = RefreshTokenFormat.Hash(next), SessionId = session.Id, UserId = token.UserId, CreatedAt = now, ExpiresAt = expires });
        await db.Set<UserSession>().Where(s => s.Id == session.Id).ExecuteUpdateAsync(s => s.SetProperty(x => x.LastUsedAt, now), ct);
        await db.SaveChangesAsync(ct);
        return new IssuedRefreshToken(token.UserId, session.Id, next, expires);
    }
}

/// <summary>
/// Ends sessions. One session (sign-out, reuse), or all of a user's (sign out everywhere, password change, lock): then
/// the security stamp changes too, so cookies and every access token issued before stop at their next request.
/// </summary>
public sealed class SessionRevocations(KilnDbContext db, UserManager<KilnUser> users, SessionLiveness liveness, TimeProvider clock)
{
    public async Task RevokeSessionAsync(Guid userId, Guid sessionId, string reason, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await db.Set<UserSession>().Where(s => s.Id == sessionId && s.UserId == userId && s.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.RevokedAt, now).SetProperty(x => x.RevokeReason, reason), ct);
        liveness.Forget(sessionId);
    }

    public async Task RevokeAllAsync(Guid userId, string reason, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var live = await db.Set<UserSession>().AsNoTracking().Where(s => s.UserId == userId && s.RevokedAt == null).Select(s => s.Id).ToListAsync(ct);
        await db.Set<UserSession>().Where(s => s.UserId == userId && s.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.RevokedAt, now).SetProperty(x => x.RevokeReason, reason), ct);
        // This process forgets them at once; others within the liveness cache window (the stamp below stops them sooner).
        foreach (var id in live) liveness.Forget(id);
        if (await users.FindByIdAsync(userId.ToString()) is { } user) await users.UpdateSecurityStampAsync(user);
    }
}

/// <summary>
/// Is the session an access token names still live? Asked on every bearer request, so the answer is cached for
/// <see cref="AuthOptions.RevocationCacheSeconds"/>: a sign-out in another web process takes effect within that.
/// </summary>
public sealed class SessionLiveness(IOptions<AuthOptions> options, TimeProvider clock)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, (bool Live, DateTimeOffset Until)> _cache = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, DateTimeOffset> _touched = new();

    /// <summary>
    /// The session was used: its "last seen" is written when this process has not written it for
    /// <see cref="AuthOptions.LastSeenWriteMinutes"/>, so a busy browser costs one UPDATE every few minutes, not one per request.
    /// </summary>
    public async Task TouchAsync(KilnDbContext db, Guid sessionId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var every = TimeSpan.FromMinutes(Math.Max(0, options.Value.LastSeenWriteMinutes));
        if (_touched.TryGetValue(sessionId, out var last) && now - last < every) return;
        if (_touched.Count > 50_000) _touched.Clear();
        _touched[sessionId] = now;
        var utc = now.UtcDateTime;
        var before = utc - every;
        // Another process may have written it a moment ago: the condition keeps the write rare across processes too.
        await db.Set<UserSession>().Where(s => s.Id == sessionId && s.RevokedAt == null && s.LastUsedAt <= before)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.LastUsedAt, utc), ct);
    }

    public async Task<bool> IsLiveAsync(KilnDbContext db, Guid sessionId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (_cache.TryGetValue(sessionId, out var hit) && hit.Until > now) return hit.Live;
        var live = await db.Set<UserSession>().AsNoTracking().AnyAsync(s => s.Id == sessionId && s.RevokedAt == null, ct);
        if (_cache.Count > 50_000) _cache.Clear();
        // A revoked session never comes back: remember that for good; a live one only briefly.
        _cache[sessionId] = (live, live ? now.AddSeconds(options.Value.RevocationCacheSeconds) : DateTimeOffset.MaxValue);
        return live;
    }

    /// <summary>This process revoked it: forget the cached answer at once.</summary>
    public void Forget(Guid sessionId) => _cache.TryRemove(sessionId, out _);
}
