using Kiln.Core.Billing;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Core.Storage;
using Microsoft.EntityFrameworkCore;

namespace Kiln.Core.Uploads;

/// <summary>
/// Finishes an upload: assembles multipart uploads, then validates the bytes. A valid file becomes Ready with its
/// probed facts; an invalid one is marked Rejected and its bytes are deleted at once. Bytes that are simply not all
/// there yet answer <c>upload_incomplete</c> and leave the upload pending so the client can finish and retry; so does a
/// file the plan's storage has no room for (<c>plan_storage_limit</c>).
/// Validation and its outcome are <see cref="UploadFinisher"/>'s, the same as for files fetched from a link.
/// </summary>
public sealed class CompleteUploadCommand(KilnDbContext db, IBlobStore store, UploadFinisher finisher, StorageQuota storage)
{
    public async Task<Result<Upload>> Run(Guid workspaceId, Guid uploadId, IReadOnlyList<CompletedPart>? parts, CancellationToken ct)
    {
        var upload = await db.Uploads.FirstOrDefaultAsync(u => u.Id == uploadId && u.WorkspaceId == workspaceId, ct);
        if (upload is null) return UploadErrors.NotFound();
        switch (upload.Status)
        {
            case UploadStatus.Ready: return upload;
            case UploadStatus.Rejected: return UploadErrors.FromRejection(upload.RejectCode, upload.RejectMessage);
        }

        // The SHA-256 the store computed while assembling the parts, if it did: validation then need not read the
        // whole file again. Clients can no longer write to a completed multipart object (its part URLs name an upload
        // that is gone), and a job re-checks the hash before it runs anyway.
        string? assembledSha256 = null;
        if (upload.MultipartId is null && parts is not null && parts.Any(p => p is null))
            return Error.Invalid("invalid_parts", "Every part needs a partNumber of 1 or more and the ETag its upload returned.");
        if (upload.MultipartId is not null)
        {
            if (parts is not null && parts.Any(p => p is null || string.IsNullOrWhiteSpace(p.ETag) || p.PartNumber < 1))
                return Error.Invalid("invalid_parts", "Every part needs a partNumber of 1 or more and the ETag its upload returned.");
            var given = parts?.Select(p => new BlobPart(p.PartNumber, p.ETag)).OrderBy(p => p.PartNumber).ToList();
            var toComplete = given is { Count: > 0 } ? given : await store.ListPartsAsync(upload.BlobKey, upload.MultipartId, ct);
            if (toComplete is null) return UploadErrors.Incomplete("Send the ETag of every uploaded part to complete this upload.");
            if (toComplete.Count == 0) return UploadErrors.Incomplete("No parts have been uploaded yet.");
            try
            {
                assembledSha256 = await store.CompleteMultipartAsync(upload.BlobKey, upload.MultipartId, toComplete, ct);
            }
            catch (BlobIncompleteException e)
            {
                return UploadErrors.Incomplete(e.Message);
            }
            upload.MultipartId = null;
            await db.SaveChangesAsync(ct);
        }

        if (await store.StatAsync(upload.BlobKey, ct) is not { } stored) return UploadErrors.Incomplete("The file has not been uploaded yet.");
        // The real size against the plan's storage (other files may have been completed since this one was created).
        // Over it the upload stays pending with its bytes, so freeing space and completing again works until it expires.
        if (await storage.CheckAsync(workspaceId, stored.Size, 0, StorageLimitErrors.AtCompletion, ct) is { } full) return full;

        return await finisher.FinishAsync(upload, ct, assembledSha256);
    }
}
