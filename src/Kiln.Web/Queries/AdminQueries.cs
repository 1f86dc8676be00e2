using Kiln.Core.Data;
using Kiln.Core.Jobs;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Web.Queries;

public sealed record AdminUserRow(Guid Id, string Email, string? DisplayName, bool IsAdmin, DateTime CreatedAt, int Workspaces);
public sealed record AdminWorkspaceRow(Guid Id, string Name, string Plan, DateTime CreatedAt, long Balance, long Held, int Members);
public sealed record AdminJobRow(Job Job, string WorkspaceName);
public sealed record JobsPerDay(DateOnly Day, long Succeeded, long Failed);

/// <summary>Operator views across every workspace: every query here ignores the tenant filter on purpose.</summary>
public sealed class AdminQueries(KilnDbContext db, TimeProvider clock)
{
    public async Task<List<AdminUserRow>> Users(string? search, CancellationToken ct)
    {
        var q = db.Users.AsNoTracking();
        if (!string.IsNullOrWhiteSpace(search)) q = q.Where(u => u.Email!.Contains(search.Trim()));
        return await q.OrderByDescending(u => u.CreatedAt).Take(200)
            .Select(u => new AdminUserRow(u.Id, u.Email!, u.DisplayName, u.IsAdmin, u.CreatedAt, db.WorkspaceMembers.Count(m => m.UserId == u.Id)))
            .ToListAsync(ct);
    }

    public async Task<List<AdminWorkspaceRow>> Workspaces(CancellationToken ct) =>
        await (from w in db.Workspaces.AsNoTracking()
               join a in db.CreditAccounts on w.Id equals a.WorkspaceId into acc
               from a in acc.DefaultIfEmpty()
               orderby w.CreatedAt descending
               select new AdminWorkspaceRow(w.Id, w.Name, w.Plan, w.CreatedAt, a == null ? 0 : a.Posted, a == null ? 0 : a.Held,
                   db.WorkspaceMembers.Count(m => m.WorkspaceId == w.Id)))
            .Take(500).ToListAsync(ct);

    public async Task<Dictionary<JobStatus, int>> JobsByStatus(CancellationToken ct) =>
        (await db.Jobs.IgnoreQueryFilters().GroupBy(j => j.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct))
        .ToDictionary(x => x.Key, x => x.Count);

    public async Task<int> QueueDepth(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return await db.Jobs.IgnoreQueryFilters().CountAsync(j => j.Status == JobStatus.Queued && j.RunAfter <= now, ct);
    }

    public Task<List<WorkerHeartbeat>> Workers(CancellationToken ct) =>
        db.WorkerHeartbeats.AsNoTracking().OrderByDescending(w => w.LastSeenAt).Take(50).ToListAsync(ct);

    /// <summary>All jobs newest first; <paramref name="take"/> bounds both the page and the CSV export.</summary>
    public async Task<(List<AdminJobRow> Rows, int Total)> Jobs(JobStatus? status, string? pipeline, Guid? workspaceId, int skip, int take, CancellationToken ct)
    {
        var q = db.Jobs.IgnoreQueryFilters().AsNoTracking();
        if (status is { } s) q = q.Where(j => j.Status == s);
        if (!string.IsNullOrWhiteSpace(pipeline)) q = q.Where(j => j.PipelineId == pipeline);
        if (workspaceId is { } ws) q = q.Where(j => j.WorkspaceId == ws);
        var total = await q.CountAsync(ct);
        var rows = await (from j in q
                          join w in db.Workspaces on j.WorkspaceId equals w.Id
                          orderby j.CreatedAt descending, j.Id descending
                          select new AdminJobRow(j, w.Name)).Skip(skip).Take(take).ToListAsync(ct);
        return (rows, total);
    }

    /// <summary>Any workspace's job, for the admin job view.</summary>
    public Task<AdminJobRow?> Job(Guid id, CancellationToken ct) =>
        (from j in db.Jobs.IgnoreQueryFilters().AsNoTracking()
         join w in db.Workspaces on j.WorkspaceId equals w.Id
         where j.Id == id
         select new AdminJobRow(j, w.Name)).FirstOrDefaultAsync(ct);

    public async Task<IReadOnlyList<JobsPerDay>> JobsPerDay(int days, CancellationToken ct)
    {
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var since = today.AddDays(1 - days).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var rows = await db.Jobs.IgnoreQueryFilters().AsNoTracking()
            .Where(j => j.FinishedAt >= since && (j.Status == JobStatus.Succeeded || j.Status == JobStatus.Failed))
            .Select(j => new { j.FinishedAt, j.Status }).ToListAsync(ct);
        var byDay = rows.GroupBy(r => DateOnly.FromDateTime(r.FinishedAt!.Value))
            .ToDictionary(g => g.Key, g => (S: g.LongCount(r => r.Status == JobStatus.Succeeded), F: g.LongCount(r => r.Status == JobStatus.Failed)));
        return Enumerable.Range(0, days).Select(i => today.AddDays(i - days + 1))
            .Select(d => byDay.TryGetValue(d, out var v) ? new JobsPerDay(d, v.S, v.F) : new JobsPerDay(d, 0, 0)).ToList();
    }
}
