using Kiln.Core.Billing;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Core.Uploads;
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
/// Recording minutes finalized this calendar month (UTC) and the storage the workspace holds: ready uploads, episode
/// audio and the chunks of open recordings. Job artifacts are not counted: the plan's retention already bounds them.
/// </summary>
public sealed class PodcastUsageQuery(KilnDbContext db, BillingCatalog catalog, TimeProvider clock)
{
    public async Task<PodcastUsage> Run(Guid workspaceId, CancellationToken ct)
    {
        var planId = await db.Workspaces.AsNoTracking().Where(w => w.Id == workspaceId).Select(w => w.Plan).FirstOrDefaultAsync(ct);
        var plan = catalog.PlanOrFree(planId);
        var now = clock.GetUtcNow().UtcDateTime;
        var monthStart = new DateTime(now.Year, now.Month, 1, 0, 0, 0, DateTimeKind.Utc);
        var seconds = await db.Recordings.IgnoreQueryFilters()
            .Where(r => r.WorkspaceId == workspaceId && r.Status == RecordingStatus.Finalized && r.FinalizedAt >= monthStart)
            .SumAsync(r => r.DurationSeconds ?? 0, ct);
        var uploads = await db.Uploads.IgnoreQueryFilters().Where(u => u.WorkspaceId == workspaceId && u.Status == UploadStatus.Ready).SumAsync(u => u.Size ?? 0, ct);
        var audio = await db.Episodes.IgnoreQueryFilters().Where(e => e.WorkspaceId == workspaceId).SumAsync(e => e.AudioSize ?? 0, ct);
        var chunks = await db.RecordingChunks.IgnoreQueryFilters().Where(c => c.WorkspaceId == workspaceId).SumAsync(c => c.Size, ct);
        return new PodcastUsage(plan.Name, plan.Limits, seconds, uploads + audio + chunks);
    }
}

public static class PlanLimitErrors
{
    private const string UpgradeUrl = "/pricing";

    public static Error RecordingMinutes(int limitMinutes, double usedSeconds, double recordingSeconds) =>
        new("plan_recording_minutes",
            $"This recording is {Minutes(recordingSeconds)} long, but your plan includes {limitMinutes} recording minutes a month and {Minutes(usedSeconds)} are used. " +
            "The recording is kept: upgrade your plan on the pricing page (/pricing) and finalize it again.", ErrorKind.Forbidden)
        {
            Extensions = new Dictionary<string, object?> { ["limitMinutes"] = limitMinutes, ["usedSeconds"] = Math.Round(usedSeconds, 1), ["recordingSeconds"] = Math.Round(recordingSeconds, 1), ["upgradeUrl"] = UpgradeUrl },
        };

    public static Error Storage(long limitBytes, long usedBytes, long neededBytes) =>
        new("plan_storage_limit",
            $"Your plan includes {Bytes(limitBytes)} of storage; {Bytes(usedBytes)} are used and this needs {Bytes(neededBytes)} more. " +
            "The recording is kept: delete episodes or uploads you no longer need, or upgrade your plan on the pricing page (/pricing), then finalize it again.", ErrorKind.Forbidden)
        {
            Extensions = new Dictionary<string, object?> { ["limitBytes"] = limitBytes, ["usedBytes"] = usedBytes, ["neededBytes"] = neededBytes, ["upgradeUrl"] = UpgradeUrl },
        };

    public static string Minutes(double seconds) => seconds < 60 ? $"{seconds:0} s" : $"{Math.Floor(seconds / 60):0} min {seconds % 60:00} s";

    public static string Bytes(long b) => b switch
    {
        >= 1L << 30 => $"{b / (double)(1L << 30):0.#} GB",
        >= 1L << 20 => $"{b / (double)(1L << 20):0.#} MB",
        _ => $"{b / 1024.0:0.#} KB",
    };
}
