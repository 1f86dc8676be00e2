using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Kiln.Core.Credits;

internal sealed class CreditAccountConfiguration : IEntityTypeConfiguration<CreditAccount>
{
    public void Configure(EntityTypeBuilder<CreditAccount> b)
    {
        b.HasKey(x => x.WorkspaceId);
        b.Ignore(x => x.Available);
        b.ToTable(t => t.HasCheckConstraint("ck_credit_accounts_no_overdraw", "held >= 0 AND posted >= held"));
    }
}

internal sealed class LedgerEntryConfiguration : IEntityTypeConfiguration<LedgerEntry>
{
    public void Configure(EntityTypeBuilder<LedgerEntry> b)
    {
        b.Property(x => x.IdempotencyKey).HasMaxLength(200);
        b.Property(x => x.Reason).HasMaxLength(500);
        b.HasIndex(x => x.IdempotencyKey).IsUnique();
        b.HasIndex(x => new { x.WorkspaceId, x.Id });
    }
}

internal sealed class CreditHoldConfiguration : IEntityTypeConfiguration<CreditHold>
{
    public void Configure(EntityTypeBuilder<CreditHold> b)
    {
        b.HasKey(x => x.JobId);
        b.HasIndex(x => new { x.WorkspaceId, x.Status });
    }
}
