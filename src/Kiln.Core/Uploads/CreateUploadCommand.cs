using Kiln.Core.Billing;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Core.Storage;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Uploads;

/// <summary>
/// Registers an upload and hands out where to PUT the bytes: one URL for small files, one per part for large ones,
/// so big files go straight to storage in resumable pieces instead of through the web host.
/// </summary>
public sealed class CreateUploadCommand(KilnDbContext db, IBlobStore store, TimeProvider time, IOptions<UploadOptions> options, GetPlanLimitsQuery plans,
    StorageQuota storage)
{
    private const int MaxParts = 10_000;

    public async Task<Result<CreatedUpload>> Run(Guid workspaceId, Guid? userId, CreateUploadRequest request, CancellationToken ct)
    {
        var o = options.Value;
        var fileName = FileTypes.Sanitize(request.FileName);
        if (fileName is null) return UploadErrors.InvalidFileName();
        if (!FileTypes.TryGet(fileName, out _, out var contentType)) return UploadErrors.UnsupportedType(Path.GetExtension(fileName));
        if (request.Size <= 0) return UploadErrors.EmptyFile();
        if (request.Size > o.MaxBytes) return UploadErrors.TooLarge(o.MaxBytes);
        var limits = await plans.Run(workspaceId, ct);
        if (request.Size > limits.MaxUploadBytes) return UploadErrors.TooLargeForPlan(limits.MaxUploadBytes);
        // The declared size against the plan's storage now, before any byte is sent; completion checks the real size.
        if (await storage.CheckAsync(workspaceId, request.Size, 0, StorageLimitErrors.BeforeUpload, ct) is { } full) return full;

        var now = time.GetUtcNow();
        var id = Ids.New();
        var key = BlobKeys.Upload(workspaceId, id);
        var urlLifetime = o.UrlLifetime < o.PendingLifetime ? o.UrlLifetime : o.PendingLifetime;
        var upload = new Upload
        {
            Id = id,
            WorkspaceId = workspaceId,
            CreatedByUserId = userId,
            FileName = fileName,
            DeclaredContentType = Truncate(request.ContentType, 200),
            DeclaredSize = request.Size,
            BlobKey = key,
            Status = UploadStatus.Pending,
            CreatedAt = now.UtcDateTime,
            ExpiresAt = now.Add(o.PendingLifetime).UtcDateTime,
        };

        // Parts grow past the configured size only when a huge limit would otherwise need more than S3's 10,000 parts.
        var partSize = Math.Max(o.PartSize, (request.Size + MaxParts - 1) / MaxParts);
        var targets = new List<UploadPartTarget>();
        if (request.Size <= partSize)
        {
            // The declared size is the cap: a client cannot declare 1 KB and then stream 200 MB at us.
            var t = store.GetUploadUrl(key, contentType, request.Size, urlLifetime);
            targets.Add(new UploadPartTarget(1, t.Url, t.Method, t.Headers));
        }
        else
        {
            upload.MultipartId = await store.InitiateMultipartAsync(key, contentType, ct);
            var count = (int)((request.Size + partSize - 1) / partSize);
            for (var n = 1; n <= count; n++)
            {
                var t = store.GetPartUploadUrl(key, upload.MultipartId, n, partSize, urlLifetime);
                targets.Add(new UploadPartTarget(n, t.Url, t.Method, t.Headers));
            }
        }

        db.Uploads.Add(upload);
        await db.SaveChangesAsync(ct);
        return new CreatedUpload(id, partSize, targets, upload.ExpiresAt);
    }

    private static string? Truncate(string? value, int max) => value is null || value.Length <= max ? value : value[..max];
}
