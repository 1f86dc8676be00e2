using Kiln.Core.Billing;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Core.Jobs;
using Kiln.Core.Pipelines;
using Kiln.Core.Podcasts;
using Kiln.Core.Storage;
using Kiln.Core.Uploads;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Privacy;

/// <summary>How long finished work is kept, per plan (bound from <c>Kiln:Retention</c>).</summary>
public sealed class RetentionOptions
{
    public const string Section = "Kiln:Retention";
    /// <summary>Days a validated upload is kept; null keeps uploads as long as the plan keeps artifacts.</summary>
    public int? UploadDays { get; set; }
    /// <summary>Days a finished job's row (with its events, subtasks and remaining files) is kept. The ledger keeps its entries.</summary>
    public int JobDays { get; set; } = 365;
    /// <summary>Days a finished job's event log (progress lines) is kept; the job row stays.</summary>
    public int EventDays { get; set; } = 30;
    /// <summary>Per plan id: any of the three above, overriding the installation's.</summary>
    public Dictionary<string, PlanRetention> Plans { get; set; } = new(StringComparer.Ordinal);

    public PlanRetention For(Plan plan)
    {
        Plans.TryGetValue(plan.Id, out var p);
        return new PlanRetention
        {
            UploadDays = Math.Max(1, p?.UploadDays ?? UploadDays ?? plan.Limits.ArtifactRetentionDays),
            JobDays = Math.Max(1, p?.JobDays ?? JobDays),
            EventDays = Math.Max(1, p?.EventDays ?? EventDays),
        };
    }
}

public sealed class PlanRetention
{
    public int? UploadDays { get; set; }
    public int? JobDays { get; set; }
    public int? EventDays { get; set; }
}

public enum PurgeKind { Artifact, Upload, Job, Events }

/// <summary>One thing retention removes: its rows and, where it has them, its bytes (<see cref="Bytes"/>).</summary>
public sealed record PurgeItem(PurgeKind Kind, Guid Id, Guid WorkspaceId, string What, long Bytes, int Rows);

/// <summary>
/// Retention in one place: artifacts past their plan's or pipeline's retention, validated uploads past the plan's,
/// finished jobs past the plan's (row, events, subtasks, files and checkpoints), and old event logs of finished jobs.
/// Bytes go first, then rows, item by item, so a crash leaves at most a row whose bytes are gone (found and removed
/// again next pass), never bytes nothing points to. Nothing a published or scheduled podcast episode came from is
/// removed, nor an upload a job still waiting or running will read. <c>kiln purge --dry-run</c> lists <see cref="PlanAsync"/>.
/// </summary>
public sealed class PurgeCommand(KilnDbContext db, IBlobStore blobs, BillingCatalog catalog, PipelineCatalog pipelines,
    IOptions<RetentionOptions> options, TimeProvider clock)
{
    public async Task<IReadOnlyList<PurgeItem>> PlanAsync(int batch, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var items = new List<PurgeItem>();
        var plans = catalog.View().Plans;
        var known = plans.Select(p => p.Id).ToList();
        var published = db.Episodes.IgnoreQueryFilters().Where(e => e.Status == EpisodeStatus.Published || e.Status == EpisodeStatus.Scheduled);
        var keptJobs = published.Where(e => e.JobId != null).Select(e => e.JobId!.Value);
        var keptUploads = published.Where(e => e.UploadId != null).Select(e => e.UploadId!.Value);

        foreach (var plan in plans)
        {
            var isFree = plan.Id == BillingCatalog.FreePlanId;
            var onPlan = db.Workspaces.Where(w => w.Plan == plan.Id || (isFree && !known.Contains(w.Plan))).Select(w => w.Id);
            var keep = options.Value.For(plan);

            var artifactCutoff = now.AddDays(-Math.Max(1, plan.Limits.ArtifactRetentionDays));
            items.AddRange(await db.Artifacts.IgnoreQueryFilters()
                .Where(a => a.CreatedAt < artifactCutoff && onPlan.Contains(a.WorkspaceId) && !keptJobs.Contains(a.JobId))
                .OrderBy(a => a.CreatedAt).Take(batch)
                .Select(a => new PurgeItem(PurgeKind.Artifact, a.Id, a.WorkspaceId, a.Name, a.Size, 1)).ToListAsync(ct));

            var uploadCutoff = now.AddDays(-keep.UploadDays!.Value);
            var uploads = await db.Uploads.IgnoreQueryFilters()
                .Where(u => u.Status == UploadStatus.Ready && u.CreatedAt < uploadCutoff && onPlan.Contains(u.WorkspaceId) && !keptUploads.Contains(u.Id))
                .OrderBy(u => u.CreatedAt).Take(batch)
                .Select(u => new { u.Id, u.WorkspaceId, u.FileName, u.Size }).ToListAsync(ct);
            var inUse = await UploadsInUseAsync(uploads.Select(u => u.WorkspaceId).Distinct().ToList(), ct);
            items.AddRange(uploads.Where(u => !inUse.Contains(u.Id)).Select(u => new PurgeItem(PurgeKind.Upload, u.Id, u.WorkspaceId, u.FileName, u.Size ?? 0, 1)));

            var jobCutoff = now.AddDays(-keep.JobDays!.Value);
            var jobs = await db.Jobs.IgnoreQueryFilters()
                .Where(j => j.FinishedAt != null && j.FinishedAt < jobCutoff && onPlan.Contains(j.WorkspaceId) && !keptJobs.Contains(j.Id))
                .OrderBy(j => j.FinishedAt).Take(batch)
                .Select(j => new
                {
                    j.Id, j.WorkspaceId, j.PipelineId,
                    Bytes = db.Artifacts.IgnoreQueryFilters().Where(a => a.JobId == j.Id).Sum(a => (long?)a.Size) ?? 0,
                    Rows = 1 + db.JobEvents.IgnoreQueryFilters().Count(e => e.JobId == j.Id) + db.Artifacts.IgnoreQueryFilters().Count(a => a.JobId == j.Id)
                        + db.JobSubtasks.IgnoreQueryFilters().Count(s => s.JobId == j.Id),
                }).ToListAsync(ct);
            items.AddRange(jobs.Select(j => new PurgeItem(PurgeKind.Job, j.Id, j.WorkspaceId, j.PipelineId, j.Bytes, j.Rows)));

            var eventCutoff = now.AddDays(-keep.EventDays!.Value);
            var logs = await db.Jobs.IgnoreQueryFilters()
                .Where(j => j.FinishedAt != null && j.FinishedAt < eventCutoff && j.FinishedAt >= jobCutoff && onPlan.Contains(j.WorkspaceId))
                .OrderBy(j => j.FinishedAt)
                .Select(j => new { j.Id, j.WorkspaceId, j.PipelineId, Rows = db.JobEvents.IgnoreQueryFilters().Count(e => e.JobId == j.Id) })
                .Where(j => j.Rows > 0).Take(batch).ToListAsync(ct);
            items.AddRange(logs.Select(j => new PurgeItem(PurgeKind.Events, j.Id, j.WorkspaceId, j.PipelineId, 0, j.Rows)));
        }

        // Pipelines with their own, shorter retention of outputs (dubbing: 48 h).
        foreach (var pipeline in pipelines.All)
        {
            var id = pipeline.Descriptor.Id;
            if (pipelines.RetentionHours(id) is not { } hours) continue;
            var cutoff = now.AddHours(-hours);
            items.AddRange(await (from a in db.Artifacts.IgnoreQueryFilters()
                                  join j in db.Jobs.IgnoreQueryFilters() on a.JobId equals j.Id
                                  where j.PipelineId == id && a.CreatedAt < cutoff && !keptJobs.Contains(j.Id)
                                  orderby a.CreatedAt
                                  select new PurgeItem(PurgeKind.Artifact, a.Id, a.WorkspaceId, a.Name, a.Size, 1)).Take(batch).ToListAsync(ct));
        }
        // A job that goes removes its own artifacts: do not list them twice.
        var goingJobs = items.Where(i => i.Kind == PurgeKind.Job).Select(i => i.Id).ToHashSet();
        var artifactJobs = await ArtifactJobsAsync(items.Where(i => i.Kind == PurgeKind.Artifact).Select(i => i.Id).ToList(), ct);
        return items.Where(i => i.Kind != PurgeKind.Artifact || !goingJobs.Contains(artifactJobs[i.Id]))
            .DistinctBy(i => (i.Kind, i.Id)).ToList();
    }

    /// <summary>Removes what <see cref="PlanAsync"/> lists; returns what went.</summary>
    public async Task<IReadOnlyList<PurgeItem>> RunAsync(int batch, CancellationToken ct)
    {
        var items = await PlanAsync(batch, ct);
        foreach (var item in items)
        {
            switch (item.Kind)
            {
                case PurgeKind.Artifact:
                    await DeleteArtifactAsync(db, blobs, item.Id, ct);
                    break;
                case PurgeKind.Upload:
                    if (await db.Uploads.IgnoreQueryFilters().FirstOrDefaultAsync(u => u.Id == item.Id, ct) is { } upload)
                    {
                        await UploadBlobs.DeleteAllAsync(blobs, upload, ct);
                        db.Uploads.Remove(upload);
                        await db.SaveChangesAsync(ct);
                    }
                    break;
                case PurgeKind.Job:
                    await DeleteJobAsync(db, blobs, item.WorkspaceId, item.Id, ct);
                    break;
                case PurgeKind.Events:
                    await db.JobEvents.IgnoreQueryFilters().Where(e => e.JobId == item.Id).ExecuteDeleteAsync(ct);
                    break;
            }
        }
        return items;
    }

    /// <summary>An artifact's bytes, then its row.</summary>
    internal static async Task<bool> DeleteArtifactAsync(KilnDbContext db, IBlobStore blobs, Guid artifactId, CancellationToken ct)
    {
        var a = await db.Artifacts.IgnoreQueryFilters().AsNoTracking().FirstOrDefaultAsync(x => x.Id == artifactId, ct);
        if (a is null) return false;
        await blobs.DeleteAsync(a.BlobKey, ct);
        await db.SingleUseLinks.IgnoreQueryFilters().Where(l => l.ArtifactId == artifactId).ExecuteDeleteAsync(ct);
        return await db.Artifacts.IgnoreQueryFilters().Where(x => x.Id == artifactId).ExecuteDeleteAsync(ct) > 0;
    }

    /// <summary>A finished job entirely: every blob under its prefix (artifacts, checkpoints), then its artifacts, subtasks, events and row.</summary>
    internal static async Task DeleteJobAsync(KilnDbContext db, IBlobStore blobs, Guid workspaceId, Guid jobId, CancellationToken ct)
    {
        foreach (var key in await db.Artifacts.IgnoreQueryFilters().Where(a => a.JobId == jobId).Select(a => a.BlobKey).ToListAsync(ct))
            await blobs.DeleteAsync(key, ct);
        await blobs.DeletePrefixAsync(BlobKeys.JobPrefix(workspaceId, jobId), ct);
        await db.SingleUseLinks.IgnoreQueryFilters().Where(l => l.JobId == jobId).ExecuteDeleteAsync(ct);
        await db.Artifacts.IgnoreQueryFilters().Where(a => a.JobId == jobId).ExecuteDeleteAsync(ct);
        await db.JobAiUsage.IgnoreQueryFilters().Where(u => u.JobId == jobId).ExecuteDeleteAsync(ct);
        await db.JobSubtasks.IgnoreQueryFilters().Where(s => s.JobId == jobId).ExecuteDeleteAsync(ct);
        await db.JobEvents.IgnoreQueryFilters().Where(e => e.JobId == jobId).ExecuteDeleteAsync(ct);
        await db.Jobs.IgnoreQueryFilters().Where(j => j.Id == jobId).ExecuteDeleteAsync(ct);
    }

    /// <summary>Uploads named by a job that has not finished (a queued job reads them later).</summary>
    private async Task<HashSet<Guid>> UploadsInUseAsync(List<Guid> workspaces, CancellationToken ct)
    {
        if (workspaces.Count == 0) return [];
        var inputs = await db.Jobs.IgnoreQueryFilters()
            .Where(j => workspaces.Contains(j.WorkspaceId) && j.FinishedAt == null).Select(j => j.InputsJson).ToListAsync(ct);
        return inputs.SelectMany(i => JobInput.Parse(i).Select(x => x.UploadId)).ToHashSet();
    }

    private async Task<Dictionary<Guid, Guid>> ArtifactJobsAsync(List<Guid> ids, CancellationToken ct) =>
        ids.Count == 0 ? [] : await db.Artifacts.IgnoreQueryFilters().Where(a => ids.Contains(a.Id)).ToDictionaryAsync(a => a.Id, a => a.JobId, ct);
}

/// <summary>Runs <see cref="PurgeCommand"/>: every minute while there is a backlog, else every 30 minutes.</summary>
public sealed class RetentionService(IServiceScopeFactory scopes, TimeProvider clock, ILogger<RetentionService> log) : ScopedLoop(scopes, clock, log)
{
    protected override string Name => "Retention sweep";
    protected override TimeSpan BusyDelay => TimeSpan.FromMinutes(1);
    protected override TimeSpan IdleDelay => TimeSpan.FromMinutes(30);
    protected override TimeSpan ErrorDelay => TimeSpan.FromMinutes(5);

    protected override async Task<bool> RunAsync(IServiceProvider services, CancellationToken ct)
    {
        var gone = await services.GetRequiredService<PurgeCommand>().RunAsync(500, ct);
        foreach (var kind in gone.GroupBy(i => i.Kind))
            Log.LogInformation("Retention removed {Count} {Kind} item(s)", kind.Count(), kind.Key);
        return gone.Count > 0;
    }
}
