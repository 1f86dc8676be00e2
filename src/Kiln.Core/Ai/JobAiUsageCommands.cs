using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Kiln.Core.Ai;

/// <summary>Stores what one job attempt spent per provider model (the worker calls it when the attempt ends).</summary>
public sealed class RecordJobAiUsageCommand(KilnDbContext db, TimeProvider time, ILogger<RecordJobAiUsageCommand> log)
{
    public async Task Run(Guid jobId, Guid workspaceId, int attempt, IReadOnlyDictionary<(string Provider, string Model), AiUsageTotals> byModel, CancellationToken ct)
    {
        if (byModel.Count == 0) return;
        var now = time.GetUtcNow().UtcDateTime;
        foreach (var ((provider, model), t) in byModel)
            db.JobAiUsage.Add(new JobAiUsage
            {
                Id = Ids.New(), JobId = jobId, WorkspaceId = workspaceId, Attempt = attempt,
                Provider = Cut(provider, 100), Model = Cut(model, 200), Calls = t.Calls, CachedCalls = t.CachedCalls,
                InputTokens = t.InputTokens, OutputTokens = t.OutputTokens,
                EstimatedCostMicros = JobAiUsage.ToMicros(t.EstimatedCost), CostIncomplete = t.CostIncomplete, CreatedAt = now,
            });
        try { await db.SaveChangesAsync(ct); }
        // The unique (job, attempt, provider, model) index: an attempt's usage is written once.
        catch (DbUpdateException ex)
        {
            log.LogWarning(ex, "AI usage of job {JobId} attempt {Attempt} was already stored", jobId, attempt);
            db.ChangeTracker.Clear();
        }
    }

    private static string Cut(string s, int max) => s.Length <= max ? s : s[..max];
}

/// <summary>One row of AI usage as operators see it.</summary>
public sealed record AiUsageLine(int? Attempt, string Provider, string Model, int Calls, int CachedCalls, long InputTokens, long OutputTokens,
    decimal EstimatedCost, bool CostIncomplete)
{
    /// <summary>The sum of <paramref name="lines"/>, labelled with <paramref name="provider"/> (or "all") and <paramref name="model"/> (or "all").</summary>
    public static AiUsageLine Sum(IReadOnlyList<AiUsageLine> lines, string? provider, string? model) => new(null, provider ?? "all", model ?? "all",
        lines.Sum(l => l.Calls), lines.Sum(l => l.CachedCalls), lines.Sum(l => l.InputTokens), lines.Sum(l => l.OutputTokens),
        lines.Sum(l => l.EstimatedCost), lines.Any(l => l.CostIncomplete));
}

/// <summary>A job's AI usage per attempt and model (operators only: it bypasses the tenant filter).</summary>
public sealed class GetJobAiUsageQuery(KilnDbContext db)
{
    public async Task<IReadOnlyList<AiUsageLine>> Run(Guid jobId, CancellationToken ct) =>
        (await db.JobAiUsage.IgnoreQueryFilters().AsNoTracking().Where(u => u.JobId == jobId)
            .OrderBy(u => u.Attempt).ThenBy(u => u.Provider).ThenBy(u => u.Model).ToListAsync(ct))
        .Select(u => new AiUsageLine(u.Attempt, u.Provider, u.Model, u.Calls, u.CachedCalls, u.InputTokens, u.OutputTokens, u.EstimatedCost, u.CostIncomplete))
        .ToList();
}

/// <summary>AI usage of every workspace per provider and model since a moment (the admin page shows the last 30 days).</summary>
public sealed class AiUsageByProviderQuery(KilnDbContext db)
{
    public async Task<IReadOnlyList<AiUsageLine>> Run(DateTime since, CancellationToken ct) =>
        (await db.JobAiUsage.IgnoreQueryFilters().AsNoTracking().Where(u => u.CreatedAt >= since)
            .GroupBy(u => new { u.Provider, u.Model })
            .Select(g => new
            {
                g.Key.Provider, g.Key.Model, Calls = g.Sum(u => u.Calls), CachedCalls = g.Sum(u => u.CachedCalls),
                InputTokens = g.Sum(u => u.InputTokens), OutputTokens = g.Sum(u => u.OutputTokens),
                Micros = g.Sum(u => u.EstimatedCostMicros), Incomplete = g.Max(u => u.CostIncomplete ? 1 : 0),
            })
            .ToListAsync(ct))
        .OrderBy(x => x.Provider, StringComparer.Ordinal).ThenBy(x => x.Model, StringComparer.Ordinal)
        .Select(x => new AiUsageLine(null, x.Provider, x.Model, x.Calls, x.CachedCalls, x.InputTokens, x.OutputTokens, x.Micros / 1_000_000m, x.Incomplete == 1))
        .ToList();
}
