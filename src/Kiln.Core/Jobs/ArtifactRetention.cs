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
public sealed class DeleteExpiredArtifactsCommand(KilnDbContext db, IBlobStore blobs, BillingCatalog catalog, TimeProvider clock)
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
            foreach (var a in expired)
            {
                await blobs.DeleteAsync(a.BlobKey, ct);
                deleted += await db.Artifacts.IgnoreQueryFilters().Where(x => x.Id == a.Id).ExecuteDeleteAsync(ct);
            }
        }
        return deleted;
    }
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
