using Kiln.Core.Accounts;

namespace Kiln.Core.Audit;

/// <summary>
/// One security-relevant event: who (user, or none for an anonymous failure), in which workspace (none for
/// installation-wide events such as a sign-in), what (<see cref="AuditActions"/>), on what (target), from where (IP
/// truncated to its /24 or /48 network, never the full address) and with which client. Rows are only ever added.
/// </summary>
public sealed class AuditEvent
{
    public Guid Id { get; set; }
    public DateTime At { get; set; }
    public required string Action { get; set; }
    public Guid? ActorUserId { get; set; }
    public Guid? WorkspaceId { get; set; }
    /// <summary>What the action was done to: a user id, an API key prefix, an email, a job id.</summary>
    public string? Target { get; set; }
    public string? Ip { get; set; }
    public string? UserAgent { get; set; }
    /// <summary>A small JSON object (a role, an amount, a reason); at most <see cref="AuditLog.MaxDetails"/> characters.</summary>
    public string? Details { get; set; }
}

/// <summary>The stable action names (they appear in the API, the CSV export and operators' alerting rules).</summary>
public static class AuditActions
{
    public const string SignIn = "auth.sign_in";
    public const string SignInFailed = "auth.sign_in_failed";
    public const string RefreshTokenReused = "auth.refresh_token_reused";
    public const string ExternalSignIn = "auth.external_sign_in";
    public const string ProviderLinked = "account.provider_linked";
    public const string AccountCreated = "account.created";
    public const string PasswordChanged = "account.password_changed";
    public const string PasswordReset = "account.password_reset";
    public const string EmailVerified = "account.email_verified";
    public const string EmailChanged = "account.email_changed";
    public const string TwoFactorEnabled = "account.two_factor_enabled";
    public const string TwoFactorDisabled = "account.two_factor_disabled";
    public const string RecoveryCodesRegenerated = "account.recovery_codes_regenerated";
    public const string WorkspaceTwoFactorRequired = "workspace.two_factor_required_changed";
    public const string ApiKeyCreated = "api_key.created";
    public const string ApiKeyRevoked = "api_key.revoked";
    public const string MemberRoleChanged = "member.role_changed";
    public const string MemberRemoved = "member.removed";
    public const string MemberLeft = "member.left";
    public const string InvitationCreated = "invitation.created";
    public const string InvitationRevoked = "invitation.revoked";
    public const string InvitationAccepted = "invitation.accepted";
    public const string InvitationDeclined = "invitation.declined";
    public const string CreditsGranted = "credits.granted";
    public const string CreditsAdjusted = "credits.adjusted";
    public const string UserLocked = "admin.user_locked";
    public const string UserUnlocked = "admin.user_unlocked";
    public const string JobRetried = "admin.job_retried";
    public const string PaymentEventRetried = "admin.payment_event_retried";
    public const string ShortfallResolved = "admin.shortfall_resolved";
    public const string PasswordResetRequested = "account.password_reset_requested";
    public const string VerificationEmailSent = "account.verification_email_sent";
    public const string TwoFactorFailed = "auth.two_factor_failed";
    public const string SessionRevoked = "auth.session_revoked";
    public const string NotificationPreferencesChanged = "account.notification_preferences_changed";
    public const string WorkspaceDeleted = "workspace.deleted";
}

/// <summary>What to record. <paramref name="Details"/> is serialized to JSON (keep it small: ids, roles, amounts).</summary>
public sealed record AuditEntry(string Action, Guid? ActorUserId, Guid? WorkspaceId, string? Target = null, object? Details = null)
{
    /// <summary>An entry for what <paramref name="caller"/> did in the workspace it acts in.</summary>
    public static AuditEntry By(Caller caller, string action, string? target = null, object? details = null) =>
        new(action, caller.UserId, caller.WorkspaceId, target, details);
}
