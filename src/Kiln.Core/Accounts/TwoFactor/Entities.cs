using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Kiln.Core.Accounts.TwoFactor;

/// <summary>
/// A one-time recovery code for when the authenticator is lost. Only a SHA-256 of the code is stored, and spending it
/// is a conditional update on <see cref="UsedAt"/>: each code works once.
/// </summary>
public sealed class RecoveryCode
{
    public Guid UserId { get; set; }
    public required string Hash { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? UsedAt { get; set; }
}

internal sealed class RecoveryCodeConfiguration : IEntityTypeConfiguration<RecoveryCode>
{
    public void Configure(EntityTypeBuilder<RecoveryCode> b)
    {
        b.ToTable("two_factor_recovery_codes");
        b.HasKey(x => new { x.UserId, x.Hash });
        b.Property(x => x.Hash).HasMaxLength(64);
    }
}
