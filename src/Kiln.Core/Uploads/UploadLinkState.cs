using Kiln.Core.Data;
using Kiln.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Uploads;

/// <summary>
/// Whether a signed upload link may still write: only while its upload is pending (and, for a part, while the
/// multipart upload it was signed for is the upload's current one). Keys that are not upload keys are not uploads'
/// business and stay writable by their signature alone.
/// </summary>
public sealed class UploadLinkState(KilnDbContext db)
{
    public async Task<bool> AcceptsBytesAsync(string key, string? multipartId, CancellationToken ct)
    {
        if (!TryUploadId(key, out var uploadId)) return true;
        var upload = await db.Uploads.IgnoreQueryFilters().AsNoTracking()
            .Where(u => u.Id == uploadId && u.BlobKey == key).Select(u => new { u.Status, u.MultipartId }).FirstOrDefaultAsync(ct);
        if (upload is null || upload.Status != UploadStatus.Pending) return false;
        return multipartId is null ? upload.MultipartId is null : upload.MultipartId == multipartId;
    }

    /// <summary><c>ws/{workspace}/uploads/{id}</c> → id.</summary>
    private static bool TryUploadId(string key, out Guid id)
    {
        id = default;
        var parts = key.Split('/');
        return parts.Length == 4 && parts[0] == "ws" && parts[2] == "uploads" && Guid.TryParseExact(parts[3], "N", out id)
            && key == BlobKeys.Upload(Guid.TryParseExact(parts[1], "N", out var ws) ? ws : Guid.Empty, id);
    }
}
