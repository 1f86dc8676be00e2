using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Kiln.Core.Notes;

internal sealed class NoteConfiguration : IEntityTypeConfiguration<Note>
{
    public void Configure(EntityTypeBuilder<Note> b)
    {
        b.Property(x => x.Title).HasMaxLength(300);
        b.Property(x => x.LinkName).HasMaxLength(300);
        b.Property(x => x.Subject).HasMaxLength(100);
        b.Property(x => x.KeyTerms).HasMaxLength(2000);
        b.Property(x => x.SourceKind).HasMaxLength(32);
        b.Property(x => x.SourceUrl).HasMaxLength(2000);
        b.HasIndex(x => new { x.WorkspaceId, x.UpdatedAt });
        b.HasIndex(x => new { x.WorkspaceId, x.LinkName }).IsUnique();
        b.HasIndex(x => x.JobId).IsUnique();
    }
}

internal sealed class NoteVersionConfiguration : IEntityTypeConfiguration<NoteVersion>
{
    public void Configure(EntityTypeBuilder<NoteVersion> b)
    {
        b.Property(x => x.Title).HasMaxLength(300);
        b.HasIndex(x => new { x.NoteId, x.Number }).IsUnique();
    }
}

internal sealed class NoteLinkConfiguration : IEntityTypeConfiguration<NoteLink>
{
    public void Configure(EntityTypeBuilder<NoteLink> b)
    {
        b.Property(x => x.SharedTerms).HasMaxLength(1000);
        b.HasIndex(x => new { x.FromNoteId, x.ToNoteId }).IsUnique();
        b.HasIndex(x => x.ToNoteId);
    }
}
