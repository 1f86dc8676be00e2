using Kiln.Core.Billing;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Podcasts.Recordings;

/// <summary>A workspace's podcast usage this month beside its plan's limits (0 = unlimited).</summary>
public sealed record PodcastUsage(string PlanName, PlanLimits Limits, double RecordedSecondsThisMonth, long StorageBytes)
{
    public bool UnlimitedMinutes => Limits.RecordingMinutesPerMonth <= 0;
    public bool UnlimitedStorage => Limits.MaxStorageBytes <= 0;
    /// <summary>Seconds of recording still available this month, or null when unlimited.</summary>
    public double? SecondsLeft => UnlimitedMinutes ? null : Math.Max(0, Limits.RecordingMinutesPerMonth * 60.0 - RecordedSecondsThisMonth);
}

/// <summary>
/// Recording minutes finalized this calendar month (UTC) and the storage the workspace holds (<see cref="StorageQuota"/>
/// is the one sum of it).
/// </summary>
public sealed class PodcastUsageQuery(KilnDbContext db, BillingCatalog catalog, StorageQuota storage, TimeProvider clock)
{
    public async Task<PodcastUsage> Run(Guid workspaceId, CancellationToken ct)
    {
        var planId = await db.Workspaces.AsNoTracking().Where(w => w.Id == workspaceId).Select(w => w.Plan).FirstOrDefaultAsync(ct);
        var plan = catalog.PlanOrFree(planId);
        var seconds = await RecordedSecondsAsync(db, workspaceId, clock, ct);
        return new PodcastUsage(plan.Name, plan.Limits, seconds, await storage.UsedAsync(workspaceId, ct));
    }

    /// <summary>The seconds of recordings finalized in the current calendar month (UTC): what the plan's monthly minutes count.</summary>
    internal static async Task<double> RecordedSecondsAsync(KilnDbContext db, Guid workspaceId, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var monthStart = new DateTime(now.Year, now.Month, 1, 0, 0, 0, DateTimeKind.Utc);
        return await db.Recordings.IgnoreQueryFilters()
            .Where(r => r.WorkspaceId == workspaceId && r.Status == RecordingStatus.Finalized && r.FinalizedAt >= monthStart)
            .SumAsync(r => r.DurationSeconds ?? 0, ct);
    }
}

public static class PlanLimitErrors
{
    public static Error RecordingMinutes(int limitMinutes, double usedSeconds, double recordingSeconds) =>
        new("plan_recording_minutes",
            $"This recording is {Minutes(recordingSeconds)} long, but your plan includes {limitMinutes} recording minutes a month and {Minutes(usedSeconds)} are used. " +
            "The recording is kept: upgrade your plan on the pricing page (/pricing) and finalize it again.", ErrorKind.Forbidden)
        {
            Extensions = new Dictionary<string, object?> { ["limitMinutes"] = limitMinutes, ["usedSeconds"] = Math.Round(usedSeconds, 1), ["recordingSeconds"] = Math.Round(recordingSeconds, 1), ["upgradeUrl"] = StorageLimitErrors.UpgradeUrl },
        };

    public static Error Storage(long limitBytes, long usedBytes, long neededBytes) =>
        StorageLimitErrors.Exceeded(limitBytes, usedBytes, neededBytes,
            "The recording is kept: delete episodes or uploads you no longer need, or upgrade your plan on the pricing page (/pricing), then finalize it again.");

    public static string Minutes(double seconds) => seconds < 60 ? $"{seconds:0} s" : $"{Math.Floor(seconds / 60):0} min {seconds % 60:00} s";
}
