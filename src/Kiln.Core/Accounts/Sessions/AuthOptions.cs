namespace Kiln.Core.Accounts.Sessions;

/// <summary>Bound from <c>Kiln:Auth</c>: how long bearer access tokens and refresh tokens live.</summary>
public sealed class AuthOptions
{
    public const string Section = "Kiln:Auth";

    /// <summary>Access tokens are short: a revoked session's token is also refused at once, this only bounds a stolen one.</summary>
    public int AccessTokenMinutes { get; set; } = 20;
    /// <summary>A refresh token is spent on use; each refresh issues a new one valid this long.</summary>
    public int RefreshTokenDays { get; set; } = 7;
    /// <summary>How long a web process may trust its memory that a session is still live (seconds).</summary>
    public double RevocationCacheSeconds { get; set; } = 2;
    /// <summary>A browser's sign-in cookie lives this long after its last use (sliding); its session row is listed as long.</summary>
    public int BrowserSessionDays { get; set; } = 14;
    /// <summary>A session's "last seen" is written at most this often (minutes), not on every request.</summary>
    public double LastSeenWriteMinutes { get; set; } = 5;

    public TimeSpan AccessTokenLifetime => TimeSpan.FromMinutes(Math.Clamp(AccessTokenMinutes, 1, 24 * 60));
    public TimeSpan BrowserSessionLifetime => TimeSpan.FromDays(Math.Clamp(BrowserSessionDays, 1, 365));
    public TimeSpan RefreshTokenLifetime => TimeSpan.FromDays(Math.Clamp(RefreshTokenDays, 1, 365));
}
