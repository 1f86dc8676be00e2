using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Jobs.Runner;

/// <summary>
/// Every 5 s, records this process's <see cref="JobRunner"/> (id, host, slots, running jobs) in <see cref="WorkerHeartbeat"/>
/// for the admin view, and forgets workers silent for a day.
/// </summary>
public sealed class WorkerHeartbeatService(IServiceScopeFactory scopes, JobRunner runner, TimeProvider time, IOptions<WorkerOptions> options,
    ILogger<WorkerHeartbeatService> log, Pipelines.WorkerCapabilities? capabilities = null) : ScopedLoop(scopes, time, log)
{
    private DateTime? _started;

    protected override string Name => "Worker heartbeat";
    protected override TimeSpan IdleDelay => TimeSpan.FromSeconds(5);
    protected override LogLevel FailureLevel => LogLevel.Warning;

    protected override async Task<bool> RunAsync(IServiceProvider services, CancellationToken ct)
    {
        var db = services.GetRequiredService<KilnDbContext>();
        var now = Time.GetUtcNow().UtcDateTime;
        _started ??= now;
        var running = runner.Running;
        // What this worker can run (its tools present), so a job nobody can run says what it waits for.
        var pipelines = capabilities is null ? null : string.Join(' ', capabilities.Pipelines);
        var n = await db.WorkerHeartbeats.Where(w => w.WorkerId == runner.WorkerId)
            .ExecuteUpdateAsync(s => s.SetProperty(w => w.LastSeenAt, now).SetProperty(w => w.Running, running).SetProperty(w => w.Pipelines, pipelines), ct);
        if (n == 0)
        {
            db.WorkerHeartbeats.Add(new WorkerHeartbeat
            {
                WorkerId = runner.WorkerId, Host = Environment.MachineName, Capacity = Math.Max(1, options.Value.Concurrency), Running = running,
                StartedAt = _started.Value, LastSeenAt = now, Pipelines = pipelines,
            });
            await db.SaveChangesAsync(ct);
        }
        // Forget workers silent for a day, so the admin view lists live ones.
        var stale = now.AddDays(-1);
        await db.WorkerHeartbeats.Where(w => w.LastSeenAt < stale).ExecuteDeleteAsync(ct);
        return false;
    }
}
