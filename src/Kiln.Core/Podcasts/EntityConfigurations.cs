using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Kiln.Core.Podcasts;

internal sealed class ShowConfiguration : IEntityTypeConfiguration<Show>
{
    public void Configure(EntityTypeBuilder<Show> b)
    {
        b.ToTable("Shows");
        b.Property(x => x.Slug).HasMaxLength(64);
        b.Property(x => x.Title).HasMaxLength(255);
        b.Property(x => x.Description).HasMaxLength(4000);
        b.Property(x => x.Author).HasMaxLength(255);
        b.Property(x => x.OwnerName).HasMaxLength(255);
        b.Property(x => x.OwnerEmail).HasMaxLength(320);
        b.Property(x => x.ArtworkKey).HasMaxLength(500);
        b.Property(x => x.ArtworkContentType).HasMaxLength(64);
        b.Property(x => x.ArtworkVersion).HasMaxLength(32);
        b.Property(x => x.Language).HasMaxLength(16);
        b.Property(x => x.Category).HasMaxLength(64);
        b.Property(x => x.Subcategory).HasMaxLength(64);
        b.Property(x => x.Link).HasMaxLength(2000);
        b.Property(x => x.Copyright).HasMaxLength(500);
        b.Property(x => x.FundingUrl).HasMaxLength(2000);
        b.Property(x => x.FundingText).HasMaxLength(128);
        b.Property(x => x.FeedToken).HasMaxLength(64);
        b.HasIndex(x => x.Slug).IsUnique();
        b.HasIndex(x => x.FeedToken).IsUnique();
        b.HasIndex(x => new { x.WorkspaceId, x.CreatedAt });
    }
}

internal sealed class EpisodeConfiguration : IEntityTypeConfiguration<Episode>
{
    public void Configure(EntityTypeBuilder<Episode> b)
    {
        b.ToTable("Episodes");
        b.Property(x => x.ItemGuid).HasMaxLength(64);
        b.Property(x => x.Title).HasMaxLength(255);
        b.Property(x => x.Error).HasMaxLength(1000);
        b.Property(x => x.AudioKey).HasMaxLength(500);
        b.Property(x => x.AudioContentType).HasMaxLength(64);
        b.Property(x => x.PeaksKey).HasMaxLength(500);
        b.Property(x => x.ArtworkKey).HasMaxLength(500);
        b.Property(x => x.ArtworkContentType).HasMaxLength(64);
        b.Property(x => x.ArtworkVersion).HasMaxLength(32);
        b.Ignore(x => x.HasAudio);
        b.HasIndex(x => new { x.ShowId, x.CreatedAt });
        b.HasIndex(x => x.ItemGuid).IsUnique();
        b.HasIndex(x => new { x.Status, x.PublishAt });
        b.HasIndex(x => x.JobId);
    }
}

internal sealed class EpisodeDownloadConfiguration : IEntityTypeConfiguration<EpisodeDownload>
{
    public void Configure(EntityTypeBuilder<EpisodeDownload> b)
    {
        b.ToTable("EpisodeDownloads");
        b.Property(x => x.Listener).HasMaxLength(64);
        b.HasIndex(x => new { x.EpisodeId, x.Day, x.Listener }).IsUnique();
        b.HasIndex(x => new { x.ShowId, x.Day });
    }
}

internal sealed class DownloadSaltConfiguration : IEntityTypeConfiguration<DownloadSalt>
{
    public void Configure(EntityTypeBuilder<DownloadSalt> b)
    {
        b.ToTable("DownloadSalts");
        b.HasKey(x => x.Day);
    }
}
