using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Kiln.Core.Accounts.Sessions;

internal sealed class UserSessionConfiguration : IEntityTypeConfiguration<UserSession>
{
    public void Configure(EntityTypeBuilder<UserSession> b)
    {
        b.ToTable("user_sessions");
        b.Property(x => x.RevokeReason).HasMaxLength(64);
        b.Property(x => x.UserAgent).HasMaxLength(300);
        b.Property(x => x.Kind).HasMaxLength(16);
        b.Property(x => x.IpNetwork).HasMaxLength(64);
        b.HasIndex(x => x.UserId);
    }
}

internal sealed class RefreshTokenConfiguration : IEntityTypeConfiguration<RefreshToken>
{
    public void Configure(EntityTypeBuilder<RefreshToken> b)
    {
        b.ToTable("refresh_tokens");
        b.HasKey(x => x.Hash);
        b.Property(x => x.Hash).HasMaxLength(64);
        b.HasIndex(x => x.SessionId);
    }
}
