using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Kiln.Core.Uploads;

/// <summary>
/// Finishes an upload: assembles multipart uploads, then validates the bytes. A valid file becomes Ready with its
/// probed facts; an invalid one is marked Rejected and its bytes are deleted at once. Bytes that are simply not all
/// there yet answer <c>upload_incomplete</c> and leave the upload pending so the client can finish and retry.
/// </summary>
public sealed class CompleteUploadCommand(KilnDbContext db, IBlobStore store, UploadValidator validator, ILogger<CompleteUploadCommand> log)
{
    public async Task<Result<UploadDto>> ExecuteAsync(Guid workspaceId, Guid uploadId, IReadOnlyList<CompletedPart>? parts, CancellationToken ct)
    {
        var upload = await db.Uploads.FirstOrDefaultAsync(u => u.Id == uploadId && u.WorkspaceId == workspaceId, ct);
        if (upload is null) return UploadErrors.NotFound();
        switch (upload.Status)
        {
            case UploadStatus.Ready: return UploadDto.From(upload);
            case UploadStatus.Rejected: return UploadErrors.FromRejection(upload.RejectCode, upload.RejectMessage);
        }

        if (upload.MultipartId is not null)
        {
            var given = parts?.Select(p => new BlobPart(p.PartNumber, p.ETag)).OrderBy(p => p.PartNumber).ToList();
            var toComplete = given is { Count: > 0 } ? given : await store.ListPartsAsync(upload.BlobKey, upload.MultipartId, ct);
            if (toComplete is null) return UploadErrors.Incomplete("Send the ETag of every uploaded part to complete this upload.");
            if (toComplete.Count == 0) return UploadErrors.Incomplete("No parts have been uploaded yet.");
            try
            {
                await store.CompleteMultipartAsync(upload.BlobKey, upload.MultipartId, toComplete, ct);
            }
            catch (BlobIncompleteException e)
            {
                return UploadErrors.Incomplete(e.Message);
            }
            upload.MultipartId = null;
            await db.SaveChangesAsync(ct);
        }

        if (await store.StatAsync(upload.BlobKey, ct) is null) return UploadErrors.Incomplete("The file has not been uploaded yet.");

        var validated = await validator.ValidateAsync(upload, ct);
        if (!validated.IsSuccess) return await RejectAsync(upload, validated.Error!, ct);

        var content = validated.Value!;
        upload.Status = UploadStatus.Ready;
        upload.Kind = content.Kind;
        upload.ContentType = content.ContentType;
        upload.Size = content.Size;
        upload.MetadataJson = content.MetadataJson;
        await db.SaveChangesAsync(ct);
        return UploadDto.From(upload);
    }

    private async Task<Error> RejectAsync(Upload upload, Error error, CancellationToken ct)
    {
        log.LogInformation("Upload {UploadId} rejected: {Code}", upload.Id, error.Code);
        // Bytes first: a row saying Rejected must never point at a blob that still exists.
        await UploadBlobs.DeleteAllAsync(store, upload, ct);
        upload.Status = UploadStatus.Rejected;
        upload.MultipartId = null;
        upload.RejectCode = error.Code;
        upload.RejectMessage = error.Message.Length > 1000 ? error.Message[..1000] : error.Message;
        await db.SaveChangesAsync(ct);
        return error;
    }
}
