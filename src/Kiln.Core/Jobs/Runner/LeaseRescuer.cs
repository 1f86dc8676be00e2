using Kiln.Core.Common;
using Kiln.Core.Jobs.Queue;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Jobs.Runner;

/// <summary>
/// Every <see cref="JobsOptions.RescueIntervalSeconds"/>: hands jobs whose lease expired (their worker died) back to the
/// queue (removing what the lost attempt left behind: <see cref="AttemptLeftovers"/>) and corrects drifted running-jobs counters, waking the local runner when either changed something. Runs beside
/// <see cref="JobRunner"/>; safe in several workers at once.
/// </summary>
public sealed class LeaseRescuer(IServiceScopeFactory scopes, JobSignal signal, AttemptLeftovers leftovers, TimeProvider time, IOptions<JobsOptions> options, ILogger<LeaseRescuer> log)
    : ScopedLoop(scopes, time, log)
{
    /// <summary>How often the scratch directory is checked for attempts that are no longer running (the first pass always does).</summary>
    public static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(30);
    private DateTime _lastSweep = DateTime.MinValue;

    protected override string Name => "Rescuing expired leases";
    private TimeSpan Interval => TimeSpan.FromSeconds(options.Value.RescueIntervalSeconds);
    protected override TimeSpan FirstDelay => Interval;
    protected override TimeSpan IdleDelay => Interval;
    protected override TimeSpan BusyDelay => Interval;

    protected override async Task<bool> RunAsync(IServiceProvider services, CancellationToken ct)
    {
        var queue = services.GetRequiredService<JobQueue>();
        // First, and local only: blob deletes below may wait on a store that is down.
        var now = Time.GetUtcNow().UtcDateTime;
        if (now - _lastSweep >= SweepInterval)
        {
            _lastSweep = now;
            var swept = await leftovers.SweepScratchAsync(services.GetRequiredService<Data.KilnDbContext>(), now, ct);
            if (swept > 0) Log.LogInformation("Removed {Count} scratch directories of attempts that are no longer running", swept);
        }
        var lost = new List<LostAttempt>();
        var n = await queue.RescueExpiredAsync(lost, ct);
        // The lost attempts' blobs, scratch directories and (for jobs the rescue ended) checkpoints; then the deletes
        // an earlier round could not do because the blob store was down.
        await leftovers.CleanAsync(lost);
        await leftovers.RetryPendingAsync(ct);
        if (n > 0)
        {
            Log.LogWarning("Rescued {Count} job(s) whose lease expired", n);
            signal.NotifyLocal();
        }
        var repaired = await queue.RepairRunningCountsAsync(ct);
        if (repaired > 0)
        {
            Log.LogWarning("Corrected the running-jobs counter of {Count} workspace(s)", repaired);
            signal.NotifyLocal();
        }
        return n > 0 || repaired > 0;
    }
}
