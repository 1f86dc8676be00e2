using Kiln.Core.Accounts;
using Kiln.Core.Credits;
using Kiln.Core.Jobs;
using Kiln.Core.Notes;
using Kiln.Core.Podcasts;
using Kiln.Core.Uploads;
using Kiln.Core.Webhooks;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Data;

/// <summary>
/// The application database. Each area configures its own entities with <see cref="IEntityTypeConfiguration{T}"/>
/// classes in its folder; this class only applies them and adds the tenant filter.
/// </summary>
public class KilnDbContext(DbContextOptions<KilnDbContext> options, ITenantScope? tenant = null)
    : IdentityDbContext<KilnUser, IdentityRole<Guid>, Guid>(options), IDataProtectionKeyContext
{
    // Read by the query filters at query time: a scoped context only ever sees its workspace's rows.
    private Guid? TenantId => tenant?.WorkspaceId;
    // Per-member privacy: set to the member's user id when their workspace keeps members' work apart.
    private Guid? PrivateTo => tenant?.PrivateToUserId;

    /// <summary>The member whose own work is visible under per-member privacy (null: all) — for queries that turn the filters off.</summary>
    public Guid? PrivateToUserId => PrivateTo;

    public DbSet<Workspace> Workspaces => Set<Workspace>();
    public DbSet<WorkspaceMember> WorkspaceMembers => Set<WorkspaceMember>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<CreditAccount> CreditAccounts => Set<CreditAccount>();
    public DbSet<LedgerEntry> LedgerEntries => Set<LedgerEntry>();
    public DbSet<CreditHold> CreditHolds => Set<CreditHold>();
    public DbSet<Job> Jobs => Set<Job>();
    public DbSet<JobEvent> JobEvents => Set<JobEvent>();
    public DbSet<Artifact> Artifacts => Set<Artifact>();
    public DbSet<Upload> Uploads => Set<Upload>();
    public DbSet<WorkerHeartbeat> WorkerHeartbeats => Set<WorkerHeartbeat>();
    public DbSet<WorkspaceRunningJobs> WorkspaceRunningJobs => Set<WorkspaceRunningJobs>();
    public DbSet<Accounts.Sessions.UserSession> UserSessions => Set<Accounts.Sessions.UserSession>();
    public DbSet<Accounts.Sessions.RefreshToken> RefreshTokens => Set<Accounts.Sessions.RefreshToken>();
    public DbSet<RateLimits.RateLimitCounter> RateLimitCounters => Set<RateLimits.RateLimitCounter>();
    public DbSet<Accounts.Invitations.WorkspaceInvitation> WorkspaceInvitations => Set<Accounts.Invitations.WorkspaceInvitation>();
    /// <summary>The shared Data Protection key ring (see <see cref="KilnDataProtection"/>).</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    public DbSet<JobSubtask> JobSubtasks => Set<JobSubtask>();
    public DbSet<Note> Notes => Set<Note>();
    public DbSet<NoteVersion> NoteVersions => Set<NoteVersion>();
    public DbSet<NoteLink> NoteLinks => Set<NoteLink>();
    public DbSet<Show> Shows => Set<Show>();
    public DbSet<Episode> Episodes => Set<Episode>();
    public DbSet<EpisodeDownload> EpisodeDownloads => Set<EpisodeDownload>();
    public DbSet<Ai.JobAiUsage> JobAiUsage => Set<Ai.JobAiUsage>();
    public DbSet<Jobs.Links.SingleUseLink> SingleUseLinks => Set<Jobs.Links.SingleUseLink>();
    public DbSet<Podcasts.Recordings.Recording> Recordings => Set<Podcasts.Recordings.Recording>();
    public DbSet<Podcasts.Recordings.RecordingChunk> RecordingChunks => Set<Podcasts.Recordings.RecordingChunk>();
    public DbSet<Privacy.DataExport> DataExports => Set<Privacy.DataExport>();
    public DbSet<Audit.AuditEvent> AuditEvents => Set<Audit.AuditEvent>();
    public DbSet<Accounts.Email.OutboxEmail> EmailOutbox => Set<Accounts.Email.OutboxEmail>();
    public DbSet<Accounts.Email.AccountToken> AccountTokens => Set<Accounts.Email.AccountToken>();
    public DbSet<Accounts.Email.NotificationPreferences> NotificationPreferences => Set<Accounts.Email.NotificationPreferences>();
    public DbSet<Accounts.TwoFactor.RecoveryCode> RecoveryCodes => Set<Accounts.TwoFactor.RecoveryCode>();

    public bool IsPostgres => Database.ProviderName == "Npgsql.EntityFrameworkCore.PostgreSQL";

    /// <summary>Every DateTime is UTC; SQLite stores text without a kind, so reads are marked UTC here.</summary>
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        configurationBuilder.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        configurationBuilder.Properties<DateTime?>().HaveConversion<UtcDateTimeConverter>();
    }

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(typeof(KilnDbContext).Assembly);

        // Tenant isolation: a context created for a request carries the caller's workspace; background
        // code (workers, admin) has no tenant scope and sees everything it asks for explicitly.
        builder.Entity<Job>().HasQueryFilter(e => (TenantId == null || e.WorkspaceId == TenantId) && (PrivateTo == null || e.CreatedByUserId == PrivateTo || e.SharedAt != null));
        builder.Entity<JobEvent>().HasQueryFilter(e => (TenantId == null || e.WorkspaceId == TenantId) && (PrivateTo == null || Jobs.Any(j => j.Id == e.JobId)));
        builder.Entity<Artifact>().HasQueryFilter(e => (TenantId == null || e.WorkspaceId == TenantId) && (PrivateTo == null || Jobs.Any(j => j.Id == e.JobId)));
        builder.Entity<Upload>().HasQueryFilter(e => (TenantId == null || e.WorkspaceId == TenantId) && (PrivateTo == null || e.CreatedByUserId == PrivateTo || e.SharedAt != null));
        builder.Entity<ApiKey>().HasQueryFilter(e => TenantId == null || e.WorkspaceId == TenantId);
        builder.Entity<LedgerEntry>().HasQueryFilter(e => TenantId == null || e.WorkspaceId == TenantId);
        builder.Entity<WebhookEndpoint>().HasQueryFilter(e => TenantId == null || e.WorkspaceId == TenantId);
        builder.Entity<WebhookDelivery>().HasQueryFilter(e => TenantId == null || e.WorkspaceId == TenantId);
        builder.Entity<Accounts.Invitations.WorkspaceInvitation>().HasQueryFilter(e => TenantId == null || e.WorkspaceId == TenantId);
        builder.Entity<JobSubtask>().HasQueryFilter(e => (TenantId == null || e.WorkspaceId == TenantId) && (PrivateTo == null || Jobs.Any(j => j.Id == e.JobId)));
        builder.Entity<Note>().HasQueryFilter(e => (TenantId == null || e.WorkspaceId == TenantId) && (PrivateTo == null || e.CreatedByUserId == PrivateTo || e.SharedAt != null));
        builder.Entity<NoteVersion>().HasQueryFilter(e => (TenantId == null || e.WorkspaceId == TenantId) && (PrivateTo == null || Notes.Any(n => n.Id == e.NoteId)));
        builder.Entity<NoteLink>().HasQueryFilter(e => (TenantId == null || e.WorkspaceId == TenantId) && (PrivateTo == null || (Notes.Any(n => n.Id == e.FromNoteId) && Notes.Any(n => n.Id == e.ToNoteId))));
        builder.Entity<Show>().HasQueryFilter(e => TenantId == null || e.WorkspaceId == TenantId);
        builder.Entity<Episode>().HasQueryFilter(e => TenantId == null || e.WorkspaceId == TenantId);
        builder.Entity<EpisodeDownload>().HasQueryFilter(e => TenantId == null || e.WorkspaceId == TenantId);
        builder.Entity<Ai.JobAiUsage>().HasQueryFilter(e => TenantId == null || e.WorkspaceId == TenantId);
        builder.Entity<Jobs.Links.SingleUseLink>().HasQueryFilter(e => TenantId == null || e.WorkspaceId == TenantId);
        builder.Entity<Podcasts.Recordings.Recording>().HasQueryFilter(e => TenantId == null || e.WorkspaceId == TenantId);
        builder.Entity<Podcasts.Recordings.RecordingChunk>().HasQueryFilter(e => TenantId == null || e.WorkspaceId == TenantId);
        builder.Entity<Audit.AuditEvent>().HasQueryFilter(e => TenantId == null || e.WorkspaceId == TenantId);

        SnakeCaseNaming.Apply(builder);
    }
}

internal sealed class UtcDateTimeConverter() : Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<DateTime, DateTime>(
    v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
    v => DateTime.SpecifyKind(v, DateTimeKind.Utc));

/// <summary>The workspace the current request acts for, or null outside a request.</summary>
public interface ITenantScope
{
    Guid? WorkspaceId { get; }
    /// <summary>Under per-member privacy, the member whose own (or shared) jobs, uploads and notes are visible; null sees all.</summary>
    Guid? PrivateToUserId => null;
}

/// <summary>A settable scope: the web host fills it from the authenticated principal.</summary>
public sealed class TenantScope : ITenantScope
{
    public Guid? WorkspaceId { get; set; }
    public Guid? PrivateToUserId { get; set; }
}
