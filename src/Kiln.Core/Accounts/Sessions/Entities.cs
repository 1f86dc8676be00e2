namespace Kiln.Core.Accounts.Sessions;

/// <summary>
/// One signed-in device: a browser's sign-in cookie (<see cref="SessionKinds.Browser"/>), or an app's family of refresh tokens that replace each other on every refresh. Revoking the session
/// (sign-out, reuse of an already rotated token, sign-out everywhere, a password change, an operator's lock) ends every
/// token of the family, and the access tokens that carry its id stop at once (<see cref="SessionRevocations"/>).
/// </summary>
public sealed class UserSession
{
    public Guid Id { get; set; }
    public Guid UserId { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime LastUsedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
    /// <summary>Why it ended: <c>logout</c>, <c>logout_all</c>, <c>reuse</c>, <c>password_changed</c>, <c>locked</c>.</summary>
    public string? RevokeReason { get; set; }
    public string? UserAgent { get; set; }
    /// <summary><see cref="SessionKinds.Browser"/> (a sign-in cookie carries the id) or <see cref="SessionKinds.Api"/> (refresh tokens).</summary>
    public string Kind { get; set; } = SessionKinds.Api;
    /// <summary>The network the device signed in from, truncated like the audit log's (<see cref="Audit.IpTruncation"/>).</summary>
    public string? IpNetwork { get; set; }
}

public static class SessionKinds
{
    public const string Browser = "browser";
    public const string Api = "api";
}

/// <summary>A refresh token: only the SHA-256 of the secret is stored. Used once; a second use revokes the session.</summary>
public sealed class RefreshToken
{
    public required string Hash { get; set; }
    public Guid SessionId { get; set; }
    public Guid UserId { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    /// <summary>Set when the token was exchanged for its successor; a token with a value here is spent.</summary>
    public DateTime? UsedAt { get; set; }
}
