using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Jobs;

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
