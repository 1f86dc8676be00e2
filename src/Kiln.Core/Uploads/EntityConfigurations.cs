using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Kiln.Core.Uploads;

internal sealed class UploadConfiguration : IEntityTypeConfiguration<Upload>
{
    public void Configure(EntityTypeBuilder<Upload> b)
    {
        b.Property(x => x.FileName).HasMaxLength(300);
        b.Property(x => x.DeclaredContentType).HasMaxLength(200);
        b.Property(x => x.ContentType).HasMaxLength(200);
        b.Property(x => x.Kind).HasMaxLength(32);
        b.Property(x => x.BlobKey).HasMaxLength(600);
        b.Property(x => x.Sha256).HasMaxLength(64);
        b.Property(x => x.MultipartId).HasMaxLength(300);
        b.Property(x => x.RejectCode).HasMaxLength(100);
        b.Property(x => x.RejectMessage).HasMaxLength(1000);
        b.HasIndex(x => new { x.WorkspaceId, x.CreatedAt });
        b.HasIndex(x => new { x.Status, x.ExpiresAt });
    }
}
