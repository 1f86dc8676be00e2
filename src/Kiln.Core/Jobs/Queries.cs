using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Jobs;

public sealed record JobPage(IReadOnlyList<Job> Items, int Page, int PageSize, int Total);

/// <summary>One job of the workspace (the caller's tenant and privacy filters apply), compiled: the status API's read.</summary>
public sealed class GetJobQuery(KilnDbContext db)
{
    private static readonly CompiledQuery<Func<KilnDbContext, Guid, Guid, CancellationToken, Task<Job?>>> ById = new(() => EF.CompileAsyncQuery(
        (KilnDbContext c, Guid workspaceId, Guid jobId, CancellationToken ct) =>
            c.Jobs.AsNoTracking().FirstOrDefault(j => j.Id == jobId && j.WorkspaceId == workspaceId)));

    public Task<Job?> Run(Guid workspaceId, Guid jobId, CancellationToken ct) => ById.For(db)(db, workspaceId, jobId, ct);
}

public sealed class ListJobsQuery(KilnDbContext db)
{
    public async Task<JobPage> Run(Guid workspaceId, JobStatus? status, string? pipeline, int page, int pageSize, CancellationToken ct)
    {
        page = Math.Max(1, page);
        pageSize = Math.Clamp(pageSize, 1, 100);
        var q = db.Jobs.AsNoTracking().Where(j => j.WorkspaceId == workspaceId);
        if (status is { } s) q = q.Where(j => j.Status == s);
        if (!string.IsNullOrEmpty(pipeline)) q = q.Where(j => j.PipelineId == pipeline);
        var total = await q.CountAsync(ct);
        var items = await q.OrderByDescending(j => j.CreatedAt).ThenByDescending(j => j.Id)
            .Skip(Paging.Skip(page, pageSize)).Take(pageSize).ToListAsync(ct);
        return new JobPage(items, page, pageSize, total);
    }
}

public sealed class ListArtifactsQuery(KilnDbContext db)
{
    public Task<List<Artifact>> Run(Guid workspaceId, Guid jobId, CancellationToken ct) =>
        db.Artifacts.AsNoTracking().Where(a => a.JobId == jobId && a.WorkspaceId == workspaceId).OrderBy(a => a.Name).ToListAsync(ct);

    public Task<Artifact?> One(Guid workspaceId, Guid jobId, Guid artifactId, CancellationToken ct) =>
        db.Artifacts.AsNoTracking().FirstOrDefaultAsync(a => a.Id == artifactId && a.JobId == jobId && a.WorkspaceId == workspaceId, ct);
}

/// <summary>The pipelines each live worker (seen in the last minute) advertises; null for a worker that advertises
/// nothing (an older one), which may run anything.</summary>
public sealed class LiveWorkersQuery(KilnDbContext db, TimeProvider clock)
{
    private static readonly TimeSpan Live = TimeSpan.FromMinutes(1);

    public async Task<IReadOnlyList<IReadOnlySet<string>?>> Run(CancellationToken ct)
    {
        var since = clock.GetUtcNow().UtcDateTime - Live;
        var rows = await db.WorkerHeartbeats.AsNoTracking().Where(w => w.LastSeenAt >= since).Select(w => w.Pipelines).ToListAsync(ct);
        return rows.Select(p => p is null ? null : (IReadOnlySet<string>)p.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal)).ToList();
    }

    public static int CanRun(IReadOnlyList<IReadOnlySet<string>?> workers, string pipelineId) => workers.Count(w => w is null || w.Contains(pipelineId));
}

/// <summary>
/// Whether a queued job waits for a worker that can run its pipeline: no live worker advertises it.
/// Null when some worker can (or the job is not queued); else the message the job's page and API show.
/// </summary>
public sealed class GetWorkerWaitQuery(LiveWorkersQuery workers, Pipelines.PipelineCatalog catalog)
{
    public async Task<string?> Run(Job job, CancellationToken ct)
    {
        if (job.Status != JobStatus.Queued) return null;
        var live = await workers.Run(ct);
        if (live.Count == 0) return "Waiting for a worker: none is running right now.";
        if (LiveWorkersQuery.CanRun(live, job.PipelineId) > 0) return null;
        var name = catalog.Find(job.PipelineId)?.Descriptor.Name ?? job.PipelineId;
        return $"Waiting for a worker that can run {name}: none of the running workers has the tools it needs. The operators have been told in the worker logs.";
    }
}
