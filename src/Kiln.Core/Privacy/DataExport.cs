using System.IO.Compression;
using System.Text.Json;
using Kiln.Core.Accounts;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Privacy;

public enum DataExportStatus { Pending = 0, Running = 1, Ready = 2, Failed = 3 }

/// <summary>A person's request for a copy of their data (GDPR art. 15 and 20): a zip built in the background.</summary>
public sealed class DataExport
{
    public Guid Id { get; set; }
    public Guid UserId { get; set; }
    /// <summary>The personal workspace whose content is exported; the zip is stored under it.</summary>
    public Guid WorkspaceId { get; set; }
    public DataExportStatus Status { get; set; }
    public string? BlobKey { get; set; }
    public long? Size { get; set; }
    public string? Error { get; set; }
    public DateTime RequestedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
    public DateTime? ExpiresAt { get; set; }
}

internal sealed class DataExportConfiguration : IEntityTypeConfiguration<DataExport>
{
    public void Configure(EntityTypeBuilder<DataExport> b)
    {
        b.ToTable("data_exports");
        b.Property(x => x.BlobKey).HasMaxLength(300);
        b.Property(x => x.Error).HasMaxLength(500);
        b.HasIndex(x => new { x.UserId, x.RequestedAt });
        b.HasIndex(x => x.Status);
    }
}

/// <summary>Asks for an export of the caller's data; one at a time. The worker's export loop builds it.</summary>
public sealed class RequestExportCommand(KilnDbContext db, TimeProvider clock)
{
    public async Task<Result<DataExport>> Run(Guid userId, CancellationToken ct)
    {
        if (await db.DataExports.AnyAsync(e => e.UserId == userId && (e.Status == DataExportStatus.Pending || e.Status == DataExportStatus.Running), ct))
            return Error.Conflict("export_in_progress", "An export of your data is already being prepared; it appears here when it is ready.");
        var personal = await PersonalWorkspace.OfAsync(db, userId, ct);
        if (personal is null) return Error.Conflict("no_personal_workspace", "Your account has no personal workspace to export.");
        var export = new DataExport { Id = Ids.New(), UserId = userId, WorkspaceId = personal.Value, Status = DataExportStatus.Pending, RequestedAt = clock.GetUtcNow().UtcDateTime };
        db.DataExports.Add(export);
        await db.SaveChangesAsync(ct);
        return export;
    }
}

public sealed class ListExportsQuery(KilnDbContext db)
{
    public Task<List<DataExport>> Run(Guid userId, CancellationToken ct) =>
        db.DataExports.AsNoTracking().Where(e => e.UserId == userId).OrderByDescending(e => e.RequestedAt).Take(20).ToListAsync(ct);

    public Task<DataExport?> One(Guid userId, Guid id, CancellationToken ct) =>
        db.DataExports.AsNoTracking().FirstOrDefaultAsync(e => e.UserId == userId && e.Id == id, ct);
}

internal static class PersonalWorkspace
{
    /// <summary>The personal workspace the user owns (the one made at sign-up).</summary>
    public static async Task<Guid?> OfAsync(KilnDbContext db, Guid userId, CancellationToken ct) =>
        await (from m in db.WorkspaceMembers
               join w in db.Workspaces on m.WorkspaceId equals w.Id
               where m.UserId == userId && m.Role == WorkspaceRole.Owner && w.IsPersonal
               orderby w.CreatedAt
               select (Guid?)w.Id).FirstOrDefaultAsync(ct);
}

/// <summary>
/// Builds the zip: the profile, memberships and sessions; the personal workspace's ledger, jobs, notes (Markdown), shows
/// and episodes; and the bytes of its uploads and artifacts. Machine-readable JSON (art. 20) beside the original files.
/// Written to a scratch file, then stored under the personal workspace (so deleting the account deletes it too).
/// </summary>
public sealed class DataExportBuilder(KilnDbContext db, IBlobStore blobs)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public async Task<(string Key, long Size)> BuildAsync(DataExport export, CancellationToken ct)
    {
        var userId = export.UserId;
        var ws = export.WorkspaceId;
        var user = await db.Users.AsNoTracking().FirstAsync(u => u.Id == userId, ct);
        var scratch = Path.Combine(Path.GetTempPath(), $"kiln-export-{export.Id:N}.zip");
        try
        {
            await using (var file = File.Create(scratch))
            await using (var zip = new ZipArchive(file, ZipArchiveMode.Create))
            {
                await WriteJsonAsync(zip, "profile.json", new
                {
                    user.Id, user.Email, user.EmailConfirmed, user.DisplayName, user.CreatedAt, user.IsAdmin,
                    TwoFactorEnabled = user.TwoFactorEnabled, user.DeletionRequestedAt, user.DeletionDueAt,
                }, ct);
                await WriteJsonAsync(zip, "memberships.json", await (from m in db.WorkspaceMembers
                                                                      join w in db.Workspaces on m.WorkspaceId equals w.Id
                                                                      where m.UserId == userId
                                                                      select new { WorkspaceId = w.Id, w.Name, w.IsPersonal, Role = m.Role.WireName(), JoinedAt = m.CreatedAt })
                                                                     .AsNoTracking().ToListAsync(ct), ct);
                await WriteJsonAsync(zip, "sessions.json", await db.UserSessions.AsNoTracking().Where(s => s.UserId == userId)
                    .Select(s => new { s.Id, s.UserAgent, s.CreatedAt, s.LastUsedAt, s.RevokedAt }).ToListAsync(ct), ct);
                await WriteJsonAsync(zip, "workspace.json", await db.Workspaces.AsNoTracking().FirstAsync(w => w.Id == ws, ct), ct);
                await WriteJsonAsync(zip, "ledger.json", await db.LedgerEntries.IgnoreQueryFilters().AsNoTracking().Where(e => e.WorkspaceId == ws)
                    .OrderBy(e => e.Id).Select(e => new { e.Id, Kind = e.Kind.WireName(), e.PostedDelta, e.HeldDelta, e.PostedAfter, e.HeldAfter, e.JobId, e.Reason, e.CreatedAt })
                    .ToListAsync(ct), ct);
                var jobs = await db.Jobs.IgnoreQueryFilters().AsNoTracking().Where(j => j.WorkspaceId == ws).OrderBy(j => j.CreatedAt)
                    .Select(j => new { j.Id, j.PipelineId, Status = j.Status.WireName(), j.OptionsJson, j.InputsJson, j.CostEstimate, j.CostActual, j.ErrorCode, j.ErrorMessage, j.CreatedAt, j.FinishedAt })
                    .ToListAsync(ct);
                await WriteJsonAsync(zip, "jobs.json", jobs, ct);

                var notes = await db.Notes.IgnoreQueryFilters().AsNoTracking().Where(n => n.WorkspaceId == ws).OrderBy(n => n.CreatedAt).ToListAsync(ct);
                await WriteJsonAsync(zip, "notes.json", notes.Select(n => new { n.Id, n.Title, n.LinkName, n.Subject, n.SourceKind, n.SourceUrl, n.CreatedAt, n.UpdatedAt, File = $"notes/{Safe(n.LinkName)}.md" }), ct);
                foreach (var n in notes) await WriteTextAsync(zip, $"notes/{Safe(n.LinkName)}.md", n.Markdown, ct);

                var shows = await db.Shows.IgnoreQueryFilters().AsNoTracking().Where(s => s.WorkspaceId == ws).ToListAsync(ct);
                var episodes = await db.Episodes.IgnoreQueryFilters().AsNoTracking().Where(e => e.WorkspaceId == ws).ToListAsync(ct);
                await WriteJsonAsync(zip, "shows.json", shows.Select(s => new
                {
                    s.Id, s.Slug, s.Title, s.Description, s.Author, s.OwnerName, s.OwnerEmail, s.Language, s.Category, s.IsPrivate, s.CreatedAt,
                    Episodes = episodes.Where(e => e.ShowId == s.Id).Select(e => new { e.Id, e.Title, Status = e.Status.WireName(), e.UploadId, e.JobId }),
                }), ct);

                var uploads = await db.Uploads.IgnoreQueryFilters().AsNoTracking().Where(u => u.WorkspaceId == ws && u.Status == Uploads.UploadStatus.Ready).ToListAsync(ct);
                await WriteJsonAsync(zip, "uploads.json", uploads.Select(u => new { u.Id, u.FileName, u.Kind, u.ContentType, u.Size, u.Sha256, u.CreatedAt, File = $"uploads/{u.Id:N}/{Safe(u.FileName)}" }), ct);
                foreach (var u in uploads) await CopyBlobAsync(zip, $"uploads/{u.Id:N}/{Safe(u.FileName)}", u.BlobKey, ct);

                var artifacts = await db.Artifacts.IgnoreQueryFilters().AsNoTracking().Where(a => a.WorkspaceId == ws).ToListAsync(ct);
                await WriteJsonAsync(zip, "artifacts.json", artifacts.Select(a => new { a.Id, a.JobId, a.Name, a.ContentType, a.Size, a.Sha256, a.CreatedAt, File = $"artifacts/{a.JobId:N}/{Safe(a.Name)}" }), ct);
                foreach (var a in artifacts) await CopyBlobAsync(zip, $"artifacts/{a.JobId:N}/{Safe(a.Name)}", a.BlobKey, ct);

                await WriteTextAsync(zip, "README.txt",
                    "Your Kiln data.\n\nprofile.json, memberships.json and sessions.json are about you; workspace.json, ledger.json, jobs.json, notes.json (with notes/*.md),\n"
                    + "shows.json, uploads.json (with uploads/) and artifacts.json (with artifacts/) are your personal workspace's content.\n"
                    + "Team workspaces belong to their teams: ask their owners for their data.\n", ct);
            }
            var key = $"{BlobKeys.WorkspacePrefix(ws)}exports/{export.Id:N}.zip";
            var size = new FileInfo(scratch).Length;
            await using (var read = File.OpenRead(scratch)) await blobs.PutAsync(key, read, "application/zip", ct);
            return (key, size);
        }
        finally
        {
            try { File.Delete(scratch); } catch (IOException) { }
        }
    }

    /// <summary>A file name safe as a zip entry segment: no directories, no control characters.</summary>
    internal static string Safe(string name)
    {
        var clean = new string(Path.GetFileName(name.Replace('\\', '/')).Select(c => char.IsControl(c) || c is '/' or ':' or '*' or '?' or '"' or '<' or '>' or '|' ? '_' : c).ToArray()).Trim();
        return clean is "" or "." or ".." ? "file" : clean.Length > 150 ? clean[..150] : clean;
    }

    private static async Task WriteJsonAsync<T>(ZipArchive zip, string name, T value, CancellationToken ct)
    {
        await using var s = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
        await JsonSerializer.SerializeAsync(s, value, Json, ct);
    }

    private static async Task WriteTextAsync(ZipArchive zip, string name, string text, CancellationToken ct)
    {
        await using var s = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
        await using var w = new StreamWriter(s);
        await w.WriteAsync(text.AsMemory(), ct);
    }

    private async Task CopyBlobAsync(ZipArchive zip, string name, string key, CancellationToken ct)
    {
        if (await blobs.StatAsync(key, ct) is null) return;
        await using var source = await blobs.OpenReadAsync(key, ct);
        await using var s = zip.CreateEntry(name, CompressionLevel.Fastest).Open();
        await source.CopyToAsync(s, ct);
    }
}

/// <summary>
/// Builds pending exports one at a time (a conditional update claims each, so several workers never build the same one),
/// tells the person (<see cref="IPrivacyNotifier"/>), and deletes expired zips with their rows.
/// </summary>
public sealed class DataExportService(IServiceScopeFactory scopes, TimeProvider clock, ILogger<DataExportService> log)
    : ScopedLoop(scopes, clock, log)
{
    protected override string Name => "Data export";
    protected override TimeSpan IdleDelay => TimeSpan.FromSeconds(15);
    protected override TimeSpan ErrorDelay => TimeSpan.FromMinutes(1);

    protected override async Task<bool> RunAsync(IServiceProvider services, CancellationToken ct) =>
        await services.GetRequiredService<RunDataExportsCommand>().RunOnceAsync(ct);
}

public sealed class RunDataExportsCommand(KilnDbContext db, DataExportBuilder builder, IBlobStore blobs, IPrivacyNotifier notifier,
    IOptions<PrivacyOptions> options, TimeProvider clock, ILogger<RunDataExportsCommand> log)
{
    /// <summary>Builds one pending export and removes expired ones; true when there was work.</summary>
    public async Task<bool> RunOnceAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var old in await db.DataExports.Where(e => e.ExpiresAt != null && e.ExpiresAt < now).OrderBy(e => e.ExpiresAt).Take(50).ToListAsync(ct))
        {
            if (old.BlobKey is { } k) await blobs.DeleteAsync(k, ct);
            db.DataExports.Remove(old);
        }
        await db.SaveChangesAsync(ct);

        var next = await db.DataExports.AsNoTracking().Where(e => e.Status == DataExportStatus.Pending).OrderBy(e => e.RequestedAt).FirstOrDefaultAsync(ct);
        if (next is null) return false;
        var claimed = await db.DataExports.Where(e => e.Id == next.Id && e.Status == DataExportStatus.Pending)
            .ExecuteUpdateAsync(s => s.SetProperty(e => e.Status, DataExportStatus.Running), ct);
        if (claimed == 0) return true;
        try
        {
            var (key, size) = await builder.BuildAsync(next, ct);
            var done = clock.GetUtcNow().UtcDateTime;
            var expires = done.AddDays(Math.Max(1, options.Value.ExportLifetimeDays));
            await db.DataExports.Where(e => e.Id == next.Id).ExecuteUpdateAsync(s => s
                .SetProperty(e => e.Status, DataExportStatus.Ready).SetProperty(e => e.BlobKey, key).SetProperty(e => e.Size, size)
                .SetProperty(e => e.FinishedAt, done).SetProperty(e => e.ExpiresAt, expires), ct);
            var email = await db.Users.Where(u => u.Id == next.UserId).Select(u => u.Email).FirstOrDefaultAsync(ct);
            if (email is not null) await notifier.ExportReadyAsync(next.UserId, email, next.Id, expires, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log.LogError(e, "Data export {ExportId} failed", next.Id);
            var done = clock.GetUtcNow().UtcDateTime;
            await db.DataExports.Where(x => x.Id == next.Id).ExecuteUpdateAsync(s => s
                .SetProperty(x => x.Status, DataExportStatus.Failed).SetProperty(x => x.Error, "The export could not be built; ask for a new one.")
                .SetProperty(x => x.FinishedAt, done).SetProperty(x => x.ExpiresAt, done.AddDays(1)), CancellationToken.None);
        }
        return true;
    }
}
