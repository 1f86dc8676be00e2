using System.Security.Cryptography;
using System.Text;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Jobs.Links;

/// <summary>
/// A download link for one artifact that works exactly once, then answers 410. Only the token's hash is stored; the
/// token itself is shown once, to the member who made the link. <see cref="UsedAt"/> is set by one conditional update,
/// so two requests at the same moment (in one process or in two) cannot both get the bytes.
/// </summary>
public sealed class SingleUseLink
{
    public Guid Id { get; set; }
    public Guid WorkspaceId { get; set; }
    public Guid JobId { get; set; }
    public Guid ArtifactId { get; set; }
    public required string TokenHash { get; set; }
    public Guid? CreatedByUserId { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    public DateTime? UsedAt { get; set; }
}

internal sealed class SingleUseLinkConfiguration : IEntityTypeConfiguration<SingleUseLink>
{
    public void Configure(EntityTypeBuilder<SingleUseLink> b)
    {
        b.Property(x => x.TokenHash).HasMaxLength(64);
        b.HasIndex(x => x.TokenHash).IsUnique();
        b.HasIndex(x => x.ArtifactId);
    }
}

public static class SingleUseLinkToken
{
    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
    /// <summary>The path a token is redeemed at (anonymous: the token is the authorization).</summary>
    public static string PathOf(string token) => $"/links/{token}";
}

public static class SingleUseLinkErrors
{
    public static readonly Error Used = new("link_used", "This download link has already been used. Ask the sender for a new link.", ErrorKind.Gone);
    public static readonly Error Expired = new("link_expired", "This download link has expired. Ask the sender for a new link.", ErrorKind.Gone);
    public static readonly Error FileDeleted = new("link_file_deleted", "The file behind this download link has been deleted.", ErrorKind.Gone);
    public static readonly Error Unknown = Error.NotFound("link_not_found", "This download link does not exist.");
}

/// <summary>The token (shown once) and when the link stops working if nobody uses it.</summary>
public sealed record CreatedSingleUseLink(Guid Id, string Token, string Path, DateTime ExpiresAt);

/// <summary>Makes a single-use link for one of a job's artifacts. A foreign or unknown job or artifact is not found.</summary>
public sealed class CreateSingleUseLinkCommand(KilnDbContext db, IOptions<JobsOptions> options, TimeProvider clock)
{
    public async Task<Result<CreatedSingleUseLink>> Run(Guid workspaceId, Guid? userId, Guid jobId, Guid artifactId, CancellationToken ct)
    {
        var exists = await db.Artifacts.AnyAsync(a => a.Id == artifactId && a.JobId == jobId && a.WorkspaceId == workspaceId, ct);
        if (!exists) return Error.NotFound("Artifact");
        var now = clock.GetUtcNow().UtcDateTime;
        var token = Ids.Token(32);
        var link = new SingleUseLink
        {
            Id = Ids.New(), WorkspaceId = workspaceId, JobId = jobId, ArtifactId = artifactId, TokenHash = SingleUseLinkToken.Hash(token),
            CreatedByUserId = userId, CreatedAt = now, ExpiresAt = now.AddHours(Math.Max(1, options.Value.SingleUseLinkHours)),
        };
        db.SingleUseLinks.Add(link);
        await db.SaveChangesAsync(ct);
        return new CreatedSingleUseLink(link.Id, token, SingleUseLinkToken.PathOf(token), link.ExpiresAt);
    }
}

/// <summary>
/// Spends a single-use link: the one request whose conditional update marks it used gets the artifact; every other
/// one learns why not (used, expired, file deleted, unknown). The update is the decision, not a read before it, so
/// it holds across web processes and on both databases (PostgreSQL re-checks the WHERE on the locked row).
/// </summary>
public sealed class RedeemSingleUseLinkCommand(KilnDbContext db, TimeProvider clock)
{
    public async Task<Result<Artifact>> Run(string token, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 100) return SingleUseLinkErrors.Unknown;
        var hash = SingleUseLinkToken.Hash(token);
        var now = clock.GetUtcNow().UtcDateTime;
        var link = await db.SingleUseLinks.IgnoreQueryFilters().AsNoTracking().FirstOrDefaultAsync(l => l.TokenHash == hash, ct);
        if (link is null) return SingleUseLinkErrors.Unknown;
        var artifact = await db.Artifacts.IgnoreQueryFilters().AsNoTracking()
            .FirstOrDefaultAsync(a => a.Id == link.ArtifactId && a.WorkspaceId == link.WorkspaceId, ct);
        if (artifact is null) return SingleUseLinkErrors.FileDeleted;
        var spent = await db.SingleUseLinks.IgnoreQueryFilters()
            .Where(l => l.Id == link.Id && l.UsedAt == null && l.ExpiresAt > now)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.UsedAt, now), ct);
        if (spent == 1) return artifact;
        // Lost the race or came late: say which, from the row as it is now.
        var current = await db.SingleUseLinks.IgnoreQueryFilters().AsNoTracking().FirstAsync(l => l.Id == link.Id, ct);
        return current.UsedAt is not null ? SingleUseLinkErrors.Used : SingleUseLinkErrors.Expired;
    }
}
