using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Kiln.Core.Audit;

internal sealed class AuditEventConfiguration : IEntityTypeConfiguration<AuditEvent>
{
    public void Configure(EntityTypeBuilder<AuditEvent> b)
    {
        b.ToTable("audit_events");
        b.Property(x => x.Action).HasMaxLength(64);
        b.Property(x => x.Target).HasMaxLength(AuditLog.MaxTarget);
        b.Property(x => x.Ip).HasMaxLength(64);
        b.Property(x => x.UserAgent).HasMaxLength(AuditLog.MaxUserAgent);
        b.Property(x => x.Details).HasMaxLength(AuditLog.MaxDetails);
        b.HasIndex(x => new { x.WorkspaceId, x.At });
        b.HasIndex(x => x.At);
        b.HasIndex(x => new { x.ActorUserId, x.At });
    }
}
