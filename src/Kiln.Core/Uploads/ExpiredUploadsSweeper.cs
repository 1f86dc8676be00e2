using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Uploads;

/// <summary>
/// Removes pending and rejected uploads past their expiry together with their bytes, and aborts multipart uploads
/// that no upload row tracks any more (e.g. the row insert failed after the upload was initiated). Cross-tenant by
/// design; run it from a background scope.
/// </summary>
public sealed class ExpiredUploadsSweeper(KilnDbContext db, IBlobStore store, TimeProvider time, IOptions<UploadOptions> options, ILogger<ExpiredUploadsSweeper> log)
{
    private const int BatchSize = 200;

    /// <summary>Returns how many upload rows were removed.</summary>
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var cutoff = now.UtcDateTime;
        var removed = 0;
        var failed = new HashSet<Guid>();
        while (true)
        {
            var batch = await db.Uploads.IgnoreQueryFilters()
                .Where(u => u.Status != UploadStatus.Ready && u.ExpiresAt < cutoff && !failed.Contains(u.Id))
                .OrderBy(u => u.ExpiresAt)
                .Take(BatchSize)
                .ToListAsync(ct);
            if (batch.Count == 0) break;
            foreach (var upload in batch)
            {
                try
                {
                    await UploadBlobs.DeleteAllAsync(store, upload, ct);
                    db.Uploads.Remove(upload);
                    removed++;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Keep the row (it is the only pointer to the bytes) and retry on the next sweep.
                    log.LogWarning(e, "Could not delete the blobs of expired upload {UploadId}", upload.Id);
                    failed.Add(upload.Id);
                }
            }
            await db.SaveChangesAsync(ct);
            if (batch.Count < BatchSize) break;
        }

        await AbortDanglingMultipartAsync(now.Subtract(options.Value.PendingLifetime), ct);
        if (removed > 0) log.LogInformation("Swept {Count} expired uploads", removed);
        return removed;
    }

    private async Task AbortDanglingMultipartAsync(DateTimeOffset olderThan, CancellationToken ct)
    {
        foreach (var open in await store.ListMultipartUploadsAsync("ws/", ct))
        {
            // Without an initiation time a fresh upload cannot be told from an abandoned one; leave it alone.
            if (open.Initiated is not { } initiated || initiated >= olderThan) continue;
            var tracked = await db.Uploads.IgnoreQueryFilters().AnyAsync(u => u.MultipartId == open.UploadId, ct);
            if (tracked) continue;
            await store.AbortMultipartAsync(open.Key, open.UploadId, ct);
            log.LogInformation("Aborted dangling multipart upload {UploadId} for {Key}", open.UploadId, open.Key);
        }
    }
}

/// <summary>Runs <see cref="ExpiredUploadsSweeper"/> at start and then every <see cref="UploadOptions.SweepInterval"/>.</summary>
public sealed class UploadSweepService(IServiceScopeFactory scopes, TimeProvider time, IOptions<UploadOptions> options, ILogger<UploadSweepService> log)
    : ScopedLoop(scopes, time, log)
{
    protected override string Name => "Upload sweep";
    protected override TimeSpan IdleDelay => options.Value.SweepInterval;
    protected override TimeSpan BusyDelay => options.Value.SweepInterval;

    protected override async Task<bool> RunAsync(IServiceProvider services, CancellationToken ct) =>
        await services.GetRequiredService<ExpiredUploadsSweeper>().SweepAsync(ct) > 0;
}
