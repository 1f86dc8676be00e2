using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Kiln.Core.Podcasts.Recordings;

internal sealed class RecordingConfiguration : IEntityTypeConfiguration<Recording>
{
    public void Configure(EntityTypeBuilder<Recording> b)
    {
        b.ToTable("Recordings");
        b.Property(x => x.ContentType).HasMaxLength(100);
        b.HasIndex(x => new { x.EpisodeId, x.Status });
        b.HasIndex(x => new { x.WorkspaceId, x.FinalizedAt });
    }
}

internal sealed class RecordingChunkConfiguration : IEntityTypeConfiguration<RecordingChunk>
{
    public void Configure(EntityTypeBuilder<RecordingChunk> b)
    {
        b.ToTable("RecordingChunks");
        b.HasKey(x => new { x.RecordingId, x.Index });
        b.Property(x => x.Sha256).HasMaxLength(64);
        b.HasIndex(x => x.WorkspaceId);
    }
}
