using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Kiln.Core.Accounts.Invitations;

/// <summary>
/// An invitation to join a workspace with a role. The link's token is random and single-use; only its SHA-256 is
/// stored. Nobody becomes a member without accepting while signed in with the invited address.
/// </summary>
public sealed class WorkspaceInvitation
{
    public Guid Id { get; set; }
    public Guid WorkspaceId { get; set; }
    public required string Email { get; set; }
    public required string NormalizedEmail { get; set; }
    public WorkspaceRole Role { get; set; }
    public required string TokenHash { get; set; }
    public Guid? InvitedByUserId { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? AcceptedAt { get; set; }
    public DateTime? DeclinedAt { get; set; }
    public DateTime? RevokedAt { get; set; }
    public Guid? AcceptedByUserId { get; set; }

    public bool IsOpen(DateTime now) => AcceptedAt is null && DeclinedAt is null && RevokedAt is null && ExpiresAt > now;
}

internal sealed class WorkspaceInvitationConfiguration : IEntityTypeConfiguration<WorkspaceInvitation>
{
    public void Configure(EntityTypeBuilder<WorkspaceInvitation> b)
    {
        b.ToTable("workspace_invitations");
        b.Property(x => x.Email).HasMaxLength(254);
        b.Property(x => x.NormalizedEmail).HasMaxLength(254);
        b.Property(x => x.TokenHash).HasMaxLength(64);
        b.HasIndex(x => x.TokenHash).IsUnique();
        b.HasIndex(x => new { x.WorkspaceId, x.NormalizedEmail });
    }
}
