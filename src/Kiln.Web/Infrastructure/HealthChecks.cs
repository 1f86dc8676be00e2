using Kiln.Core.Data;
using Kiln.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Kiln.Web.Infrastructure;

/// <summary>Ready when the database answers a query.</summary>
public sealed class DatabaseHealthCheck(KilnDbContext db) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        try
        {
            await db.Workspaces.AnyAsync(ct);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy("The database does not answer.", ex);
        }
    }
}

/// <summary>Ready when the blob store answers (a missing object is an answer).</summary>
public sealed class StorageHealthCheck(IBlobStore blobs) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        try
        {
            await blobs.StatAsync("health/probe", ct);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy("The blob store does not answer.", ex);
        }
    }
}

/// <summary>Degraded when jobs are queued but no worker has been seen for a minute.</summary>
public sealed class WorkersHealthCheck(KilnDbContext db, TimeProvider clock) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
    {
        var since = clock.GetUtcNow().UtcDateTime.AddMinutes(-1);
        var live = await db.WorkerHeartbeats.CountAsync(w => w.LastSeenAt > since, ct);
        if (live > 0) return HealthCheckResult.Healthy($"{live} worker(s) alive.");
        var queued = await db.Jobs.IgnoreQueryFilters().AnyAsync(j => j.Status == Core.Jobs.JobStatus.Queued, ct);
        return queued ? HealthCheckResult.Degraded("Jobs are waiting and no worker is alive.") : HealthCheckResult.Healthy("No worker alive; nothing queued.");
    }
}
