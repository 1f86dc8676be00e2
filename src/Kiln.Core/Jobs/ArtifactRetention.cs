using Kiln.Core.Billing;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kiln.Core.Jobs;

/// <summary>
/// Deletes artifacts older than the workspace plan's retention (bytes first, then rows), so storage does not grow
/// without bound and plans mean what they say. Runs per plan, in bounded batches.
/// </summary>
public sealed class DeleteExpiredArtifactsCommand(KilnDbContext db, IBlobStore blobs, BillingCatalog catalog, TimeProvider clock,
    Pipelines.PipelineCatalog? pipelines = null)
{
    public async Task<int> Run(int batch, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var deleted = 0;
        var plans = catalog.View().Plans;
        var known = plans.Select(p => p.Id).ToList();
        foreach (var plan in plans)
        {
            var cutoff = now.AddDays(-Math.Max(1, plan.Limits.ArtifactRetentionDays));
            var isFree = plan.Id == BillingCatalog.FreePlanId;
            var expired = await (from a in db.Artifacts.IgnoreQueryFilters()
                                 join w in db.Workspaces on a.WorkspaceId equals w.Id
                                 where a.CreatedAt < cutoff && (w.Plan == plan.Id || (isFree && !known.Contains(w.Plan)))
                                 orderby a.CreatedAt
                                 select a).Take(batch).AsNoTracking().ToListAsync(ct);
            deleted += await DeleteAsync(expired, ct);
        }
        // Pipelines with their own, shorter retention (dubbing: 48 h).
        foreach (var pipeline in pipelines?.All ?? [])
        {
            var id = pipeline.Descriptor.Id;
            if (pipelines!.RetentionHours(id) is not { } hours) continue;
            var cutoff = now.AddHours(-hours);
            var expired = await (from a in db.Artifacts.IgnoreQueryFilters()
                                 join j in db.Jobs.IgnoreQueryFilters() on a.JobId equals j.Id
                                 where j.PipelineId == id && a.CreatedAt < cutoff
                                 orderby a.CreatedAt
                                 select a).Take(batch).AsNoTracking().ToListAsync(ct);
            deleted += await DeleteAsync(expired, ct);
        }
        return deleted;
    }

    private async Task<int> DeleteAsync(List<Artifact> artifacts, CancellationToken ct)
    {
        var deleted = 0;
        foreach (var a in artifacts)
        {
            await blobs.DeleteAsync(a.BlobKey, ct);
            await db.SingleUseLinks.IgnoreQueryFilters().Where(l => l.ArtifactId == a.Id).ExecuteDeleteAsync(ct);
            deleted += await db.Artifacts.IgnoreQueryFilters().Where(x => x.Id == a.Id).ExecuteDeleteAsync(ct);
        }
        return deleted;
    }
}

/// <summary>
/// The owner deletes a finished job's outputs now instead of waiting for retention ("Delete now" on the job page):
/// bytes first, then rows. A foreign or unknown job is not found; a job still running cannot lose its files.
/// </summary>
public sealed class DeleteJobArtifactsCommand(KilnDbContext db, IBlobStore blobs)
{
    public async Task<Result<int>> Run(Guid workspaceId, Guid jobId, CancellationToken ct)
    {
        var job = await db.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == jobId && j.WorkspaceId == workspaceId, ct);
        if (job is null) return Error.NotFound("Job");
        if (!job.IsFinished) return Error.Conflict("job_not_finished", "The job is still running; its files can be deleted when it has finished.");
        var artifacts = await db.Artifacts.Where(a => a.JobId == jobId && a.WorkspaceId == workspaceId).AsNoTracking().ToListAsync(ct);
        foreach (var a in artifacts) await blobs.DeleteAsync(a.BlobKey, ct);
        await db.SingleUseLinks.Where(l => l.JobId == jobId && l.WorkspaceId == workspaceId).ExecuteDeleteAsync(ct);
        return await db.Artifacts.Where(a => a.JobId == jobId && a.WorkspaceId == workspaceId).ExecuteDeleteAsync(ct);
    }
}

/// <summary>When a job's outputs will be deleted by a pipeline's own retention (null: only the plan's retention applies).</summary>
public static class OutputExpiry
{
    public static DateTime? Of(Job job, Pipelines.PipelineCatalog catalog) =>
        job.FinishedAt is { } finished && catalog.RetentionHours(job.PipelineId) is { } hours ? finished.AddHours(hours) : null;
}

/// <summary>Runs <see cref="DeleteExpiredArtifactsCommand"/>: every minute while there is a backlog, else every 30 minutes.</summary>
public sealed class ArtifactRetentionService(IServiceScopeFactory scopes, TimeProvider clock, ILogger<ArtifactRetentionService> log)
    : ScopedLoop(scopes, clock, log)
{
    protected override string Name => "Artifact retention sweep";
    protected override TimeSpan BusyDelay => TimeSpan.FromMinutes(1);
    protected override TimeSpan IdleDelay => TimeSpan.FromMinutes(30);
    protected override TimeSpan ErrorDelay => TimeSpan.FromMinutes(5);

    protected override async Task<bool> RunAsync(IServiceProvider services, CancellationToken ct)
    {
        var n = await services.GetRequiredService<DeleteExpiredArtifactsCommand>().Run(500, ct);
        if (n > 0) Log.LogInformation("Deleted {Count} artifact(s) past their plan's retention", n);
        return n > 0;
    }
}
