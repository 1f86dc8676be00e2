using Kiln.Core.Accounts;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Privacy;

/// <summary>
/// "Delete now" for a whole finished job: its files and checkpoints, then its artifacts, subtasks, events and row. The
/// ledger keeps its entries (they name the job id only). A job a published or scheduled episode came from stays.
/// </summary>
public sealed class DeleteJobCommand(KilnDbContext db, IBlobStore blobs)
{
    public async Task<Result<Guid>> Run(Caller caller, Guid jobId, CancellationToken ct)
    {
        var workspaceId = caller.Workspace;
        var job = await db.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == jobId && j.WorkspaceId == workspaceId, ct);
        if (job is null) return Error.NotFound("Job");
        if (!job.IsFinished) return Error.Conflict("job_not_finished", "The job is still running; cancel it first or delete it when it has finished.");
        if (await PublishedEpisodes.ReferenceJobAsync(db, jobId, ct))
            return Error.Conflict("published_episode", "A published or scheduled podcast episode was made from this job; unpublish the episode first.");
        await PurgeCommand.DeleteJobAsync(db, blobs, workspaceId, jobId, ct);
        return jobId;
    }
}

/// <summary>"Delete now" for one artifact of a finished job: bytes first, then the row.</summary>
public sealed class DeleteArtifactCommand(KilnDbContext db, IBlobStore blobs)
{
    public async Task<Result<Guid>> Run(Caller caller, Guid jobId, Guid artifactId, CancellationToken ct)
    {
        var workspaceId = caller.Workspace;
        var job = await db.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == jobId && j.WorkspaceId == workspaceId, ct);
        if (job is null || !await db.Artifacts.AnyAsync(a => a.Id == artifactId && a.JobId == jobId, ct)) return Error.NotFound("Artifact");
        if (!job.IsFinished) return Error.Conflict("job_not_finished", "The job is still running; its files can be deleted when it has finished.");
        await PurgeCommand.DeleteArtifactAsync(db, blobs, artifactId, ct);
        return artifactId;
    }
}

internal static class PublishedEpisodes
{
    public static Task<bool> ReferenceJobAsync(KilnDbContext db, Guid jobId, CancellationToken ct) =>
        db.Episodes.IgnoreQueryFilters().AnyAsync(e => e.JobId == jobId
            && (e.Status == Podcasts.EpisodeStatus.Published || e.Status == Podcasts.EpisodeStatus.Scheduled), ct);
}
