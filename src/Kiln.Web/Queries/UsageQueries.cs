using Kiln.Core.Credits;
using Kiln.Core.Data;
using Kiln.Core.Jobs;
using Microsoft.EntityFrameworkCore;
using Kiln.Core.Common;

namespace Kiln.Web.Queries;

public sealed record DayValue(DateOnly Day, long Value);

public sealed record JobCosts(long Estimate, long? Held, long? Captured, long? Released, string HoldStatus);

/// <summary>
/// Per-day aggregates for the dashboard. Rows of a bounded window are grouped in memory because date truncation
/// does not translate the same way on SQLite and PostgreSQL.
/// </summary>
public sealed class UsageQueries(KilnDbContext db, TimeProvider clock)
{
    public async Task<IReadOnlyList<DayValue>> CreditsSpentPerDay(Guid workspaceId, int days, CancellationToken ct)
    {
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var since = today.AddDays(1 - days).ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc);
        var rows = await db.LedgerEntries.AsNoTracking()
            .Where(e => e.WorkspaceId == workspaceId && e.Kind == LedgerEntryKind.Capture && e.CreatedAt >= since)
            .Select(e => new { e.CreatedAt, e.PostedDelta }).ToListAsync(ct);
        return Fill(today, days, rows.GroupBy(r => DateOnly.FromDateTime(r.CreatedAt)).ToDictionary(g => g.Key, g => -g.Sum(r => r.PostedDelta)));
    }

    public async Task<JobCosts> CostsOf(Job job, CancellationToken ct)
    {
        var hold = await db.CreditHolds.AsNoTracking().FirstOrDefaultAsync(h => h.JobId == job.Id && h.WorkspaceId == job.WorkspaceId, ct);
        if (hold is null) return new JobCosts(job.CostEstimate, null, null, null, "none");
        var resolved = hold.Status != HoldStatus.Open;
        var captured = resolved ? hold.Captured ?? 0 : (long?)null;
        return new JobCosts(job.CostEstimate, hold.Amount, captured, resolved ? hold.Amount - captured : null, hold.Status.WireName());
    }

    internal static IReadOnlyList<DayValue> Fill(DateOnly today, int days, IReadOnlyDictionary<DateOnly, long> values) =>
        Enumerable.Range(0, days).Select(i => today.AddDays(i - days + 1)).Select(d => new DayValue(d, values.GetValueOrDefault(d))).ToList();
}
