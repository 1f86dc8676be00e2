using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Jobs.Events;

/// <summary>A job event with what a workspace-wide listener needs to know about its job.</summary>
public sealed record WorkspaceJobEvent(long Id, string Type, string DataJson, DateTime CreatedAt, Guid JobId, string PipelineId,
    long CostEstimate, long? CostActual, DateTime JobCreatedAt);

/// <summary>The reads behind the live streams: one indexed range read per wake-up, never a scan.</summary>
public sealed class LiveEventsQuery(KilnDbContext db)
{
    /// <summary>One job's events after <paramref name="after"/>, except <paramref name="exclude"/>, in id order.</summary>
    public Task<List<JobEvent>> ForJob(Guid workspaceId, Guid jobId, long after, IReadOnlyList<long> exclude, int max, CancellationToken ct) =>
        db.JobEvents.AsNoTracking()
            .Where(e => e.JobId == jobId && e.WorkspaceId == workspaceId && e.Id > after && !exclude.Contains(e.Id))
            .OrderBy(e => e.Id).Take(max).ToListAsync(ct);

    /// <summary>The workspace's status and progress events after <paramref name="after"/> (log lines and artifacts stay on the job's own stream).</summary>
    public async Task<List<WorkspaceJobEvent>> ForWorkspace(Guid workspaceId, long after, IReadOnlyList<long> exclude, int max, CancellationToken ct)
    {
        var rows = await db.JobEvents.AsNoTracking()
            .Where(e => e.WorkspaceId == workspaceId && e.Id > after && !exclude.Contains(e.Id)
                && (e.Type == JobEventTypes.Status || e.Type == JobEventTypes.Progress))
            .OrderBy(e => e.Id).Take(max)
            .Join(db.Jobs.AsNoTracking(), e => e.JobId, j => j.Id, (e, j) =>
                new { e.Id, e.Type, e.DataJson, e.CreatedAt, JobId = j.Id, j.PipelineId, j.CostEstimate, j.CostActual, JobCreatedAt = j.CreatedAt })
            .OrderBy(x => x.Id)
            .ToListAsync(ct);
        return [.. rows.Select(x => new WorkspaceJobEvent(x.Id, x.Type, x.DataJson, x.CreatedAt, x.JobId, x.PipelineId, x.CostEstimate, x.CostActual, x.JobCreatedAt))];
    }

    /// <summary>The newest event id of the whole log: a new stream without Last-Event-ID starts after it.</summary>
    public async Task<long> LatestId(CancellationToken ct) =>
        await db.JobEvents.IgnoreQueryFilters().MaxAsync(e => (long?)e.Id, ct) ?? 0;
}
