using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Jobs;

public sealed record JobPage(IReadOnlyList<Job> Items, int Page, int PageSize, int Total);

public sealed class GetJobQuery(KilnDbContext db)
{
    public Task<Job?> Run(Guid workspaceId, Guid jobId, CancellationToken ct) =>
        db.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == jobId && j.WorkspaceId == workspaceId, ct);
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
