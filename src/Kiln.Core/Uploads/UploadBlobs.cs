using Kiln.Core.Storage;

namespace Kiln.Core.Uploads;

internal static class UploadBlobs
{
    /// <summary>Removes everything an upload put in storage; safe to call for any state.</summary>
    public static async Task DeleteAllAsync(IBlobStore store, Upload upload, CancellationToken ct)
    {
        if (upload.MultipartId is not null) await store.AbortMultipartAsync(upload.BlobKey, upload.MultipartId, ct);
        await store.DeleteAsync(upload.BlobKey, ct);
    }
}
