using Kiln.Core.Common;
using Kiln.Core.Jobs.Queue;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Jobs.Runner;

/// <summary>
/// Every <see cref="JobsOptions.RescueIntervalSeconds"/>: hands jobs whose lease expired (their worker died) back to the
/// queue and corrects drifted running-jobs counters, waking the local runner when either changed something. Runs beside
/// <see cref="JobRunner"/>; safe in several workers at once.
/// </summary>
public sealed class LeaseRescuer(IServiceScopeFactory scopes, JobSignal signal, TimeProvider time, IOptions<JobsOptions> options, ILogger<LeaseRescuer> log)
    : ScopedLoop(scopes, time, log)
{
    protected override string Name => "Rescuing expired leases";
    private TimeSpan Interval => TimeSpan.FromSeconds(options.Value.RescueIntervalSeconds);
    protected override TimeSpan FirstDelay => Interval;
    protected override TimeSpan IdleDelay => Interval;
    protected override TimeSpan BusyDelay => Interval;

    protected override async Task<bool> RunAsync(IServiceProvider services, CancellationToken ct)
    {
        var queue = services.GetRequiredService<JobQueue>();
        var n = await queue.RescueExpiredAsync(ct);
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
