using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Core.Uploads;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Billing;

/// <summary>
/// The storage a workspace holds against its plan's <see cref="PlanLimits.MaxStorageBytes"/> — the one sum of it:
/// ready uploads, episode audio and the chunks of open recordings. Job artifacts are not counted: the plan's retention
/// already bounds them. Every place that lets bytes in (an upload is created or completed, a link is imported, a
/// recording chunk arrives, a recording is finalized) asks here, so a workspace meets the limit when bytes arrive, not later.
/// </summary>
public sealed class StorageQuota(KilnDbContext db, GetPlanLimitsQuery plans)
{
    /// <summary>Bytes the workspace holds now.</summary>
    public async Task<long> UsedAsync(Guid workspaceId, CancellationToken ct)
    {
        var uploads = await db.Uploads.IgnoreQueryFilters().Where(u => u.WorkspaceId == workspaceId && u.Status == UploadStatus.Ready).SumAsync(u => u.Size ?? 0, ct);
        var audio = await db.Episodes.IgnoreQueryFilters().Where(e => e.WorkspaceId == workspaceId).SumAsync(e => e.AudioSize ?? 0, ct);
        var chunks = await db.RecordingChunks.IgnoreQueryFilters().Where(c => c.WorkspaceId == workspaceId).SumAsync(c => c.Size, ct);
        return uploads + audio + chunks;
    }

    /// <summary>
    /// Null when <paramref name="adding"/> more bytes fit the plan (after <paramref name="freeing"/> are released by
    /// the same change), else the <c>plan_storage_limit</c> problem; <paramref name="afterwards"/> tells the user what
    /// is kept and what to do, in one sentence.
    /// </summary>
    public async Task<Error?> CheckAsync(Guid workspaceId, long adding, long freeing, string afterwards, CancellationToken ct)
    {
        var limits = await plans.Run(workspaceId, ct);
        if (limits.MaxStorageBytes <= 0) return null;
        var used = await UsedAsync(workspaceId, ct) - freeing;
        return used + adding > limits.MaxStorageBytes ? StorageLimitErrors.Exceeded(limits.MaxStorageBytes, used, adding, afterwards) : null;
    }
}

public static class StorageLimitErrors
{
    public const string UpgradeUrl = "/pricing";

    /// <summary>What to do, for a file not uploaded yet.</summary>
    public const string BeforeUpload =
        "Delete episodes or uploads you no longer need, or upgrade your plan on the pricing page (/pricing), then upload it again.";

    /// <summary>What to do, for a file imported from a link (its bytes are not kept).</summary>
    public const string BeforeImport =
        "The imported file was not kept: delete episodes or uploads you no longer need, or upgrade your plan on the pricing page (/pricing), then import the link again.";

    /// <summary>What to do, for an uploaded file that is not completed yet.</summary>
    public const string AtCompletion =
        "The uploaded file is kept until the upload expires: delete episodes or uploads you no longer need, or upgrade your plan on the pricing page (/pricing), then complete the upload again.";

    public static Error Exceeded(long limitBytes, long usedBytes, long neededBytes, string afterwards) =>
        new("plan_storage_limit",
            $"Your plan includes {Bytes(limitBytes)} of storage; {Bytes(Math.Max(0, usedBytes))} are used and this needs {Bytes(neededBytes)} more. {afterwards}", ErrorKind.Forbidden)
        {
            Extensions = new Dictionary<string, object?> { ["limitBytes"] = limitBytes, ["usedBytes"] = Math.Max(0, usedBytes), ["neededBytes"] = neededBytes, ["upgradeUrl"] = UpgradeUrl },
        };

    public static string Bytes(long b) => b switch
    {
        >= 1L << 30 => $"{b / (double)(1L << 30):0.#} GB",
        >= 1L << 20 => $"{b / (double)(1L << 20):0.#} MB",
        _ => $"{b / 1024.0:0.#} KB",
    };
}
