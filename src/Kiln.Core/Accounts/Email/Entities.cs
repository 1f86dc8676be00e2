using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Kiln.Core.Accounts.Email;

/// <summary>Where an outbox message stands.</summary>
public enum OutboxStatus
{
    /// <summary>Waiting to be sent (or to be retried at <see cref="OutboxEmail.NextAttemptAt"/>).</summary>
    Pending = 0,
    /// <summary>Claimed by one process until <see cref="OutboxEmail.LockedUntil"/>; a crashed sender's claim runs out and it is sent again.</summary>
    Sending = 1,
    Sent = 2,
    /// <summary>The SMTP server refused it for good (a rejected recipient): an operator sees why on the admin page.</summary>
    Failed = 3,
    /// <summary>No SMTP server is configured: the message stays here for operators to read on the admin page.</summary>
    Local = 4,
}

/// <summary>
/// One email to send. Written in the same transaction as the change it reports (a sign-up, a reset request), sent by
/// <see cref="EmailDispatcher"/> — so an email is never lost when SMTP is down, and never sent for a change that rolled back.
/// </summary>
public sealed class OutboxEmail
{
    public Guid Id { get; set; }
    /// <summary>The template it was made from (<c>verify_email</c>, <c>password_reset</c>, …).</summary>
    public required string Kind { get; set; }
    public Guid? UserId { get; set; }
    public required string ToAddress { get; set; }
    public required string Subject { get; set; }
    public required string TextBody { get; set; }
    public required string HtmlBody { get; set; }
    public OutboxStatus Status { get; set; }
    public int Attempts { get; set; }
    public DateTime NextAttemptAt { get; set; }
    public DateTime? LockedUntil { get; set; }
    /// <summary>The claim of the process sending it: only that process may mark it sent or failed.</summary>
    public Guid? ClaimToken { get; set; }
    public string? LastError { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? SentAt { get; set; }
    /// <summary>For notifications: what they are about (<c>job:{id}:succeeded</c>), unique, so any number of scanners send each once.</summary>
    public string? DedupKey { get; set; }
}

/// <summary>What an emailed link proves: the mailbox is the user's, they may set a new password, or the new address is theirs.</summary>
public static class AccountTokenPurpose
{
    public const string VerifyEmail = "verify_email";
    public const string ResetPassword = "reset_password";
    public const string ChangeEmail = "change_email";
}

/// <summary>
/// The secret of an emailed link. Random (256 bits) and single use: only its SHA-256 is stored, and redeeming it is a
/// conditional update on <see cref="UsedAt"/>, so of two clicks exactly one wins.
/// </summary>
public sealed class AccountToken
{
    public required string Hash { get; set; }
    public Guid UserId { get; set; }
    public required string Purpose { get; set; }
    /// <summary>For an email change: the address the link was sent to, which becomes the account's on redemption.</summary>
    public string? NewEmail { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? UsedAt { get; set; }
}

/// <summary>The emails a user has switched off. No row means every notification is on.</summary>
public sealed class NotificationPreferences
{
    public Guid UserId { get; set; }
    public bool JobFinished { get; set; } = true;
    public bool JobFailed { get; set; } = true;
    public bool CreditsLow { get; set; } = true;
    public bool PaymentReceipt { get; set; } = true;
    public bool Invitation { get; set; } = true;
    public DateTime UpdatedAt { get; set; }
}

internal sealed class OutboxEmailConfiguration : IEntityTypeConfiguration<OutboxEmail>
{
    public void Configure(EntityTypeBuilder<OutboxEmail> b)
    {
        b.ToTable("email_outbox");
        b.Property(x => x.Kind).HasMaxLength(64);
        b.Property(x => x.ToAddress).HasMaxLength(254);
        b.Property(x => x.Subject).HasMaxLength(300);
        b.Property(x => x.LastError).HasMaxLength(1000);
        b.HasIndex(x => new { x.Status, x.NextAttemptAt });
        b.HasIndex(x => x.CreatedAt);
        b.Property(x => x.DedupKey).HasMaxLength(200);
        b.HasIndex(x => x.DedupKey).IsUnique();
    }
}

internal sealed class AccountTokenConfiguration : IEntityTypeConfiguration<AccountToken>
{
    public void Configure(EntityTypeBuilder<AccountToken> b)
    {
        b.ToTable("account_tokens");
        b.HasKey(x => x.Hash);
        b.Property(x => x.Hash).HasMaxLength(64);
        b.Property(x => x.Purpose).HasMaxLength(32);
        b.Property(x => x.NewEmail).HasMaxLength(254);
        b.HasIndex(x => x.UserId);
    }
}

internal sealed class NotificationPreferencesConfiguration : IEntityTypeConfiguration<NotificationPreferences>
{
    public void Configure(EntityTypeBuilder<NotificationPreferences> b)
    {
        b.ToTable("notification_preferences");
        b.HasKey(x => x.UserId);
    }
}
