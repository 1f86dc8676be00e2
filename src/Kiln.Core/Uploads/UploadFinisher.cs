using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Core.Storage;
using Microsoft.Extensions.Logging;

namespace Kiln.Core.Uploads;

/// <summary>
/// The one way an upload whose bytes are stored becomes Ready or Rejected, shared by uploaded files
/// (<see cref="CompleteUploadCommand"/>) and files fetched from a link (<see cref="ImportUploadFromUrlCommand"/>):
/// validate, then either record the probed facts or reject it and delete its bytes at once.
/// </summary>
public sealed class UploadFinisher(KilnDbContext db, IBlobStore store, UploadValidator validator, ILogger<UploadFinisher> log)
{
    /// <summary>
    /// Validates the stored bytes of a tracked, pending <paramref name="upload"/> and saves the outcome.
    /// <paramref name="knownSha256"/>: the object's SHA-256 when whoever stored it hashed the bytes on the way in.
    /// </summary>
    public async Task<Result<Upload>> FinishAsync(Upload upload, CancellationToken ct, string? knownSha256 = null)
    {
        var validated = await validator.ValidateAsync(upload, ct);
        if (!validated.IsSuccess) return await RejectAsync(upload, validated.Error!, ct);

        var content = validated.Value!;
        // The bytes as validated: a job checks its inputs against this before running, so bytes swapped afterwards
        // (an S3 presigned PUT cannot be revoked) are refused instead of processed.
        upload.Sha256 = knownSha256 ?? content.Sha256 ?? await HashAsync(upload.BlobKey, ct);
        upload.Status = UploadStatus.Ready;
        upload.Kind = content.Kind;
        upload.ContentType = content.ContentType;
        upload.Size = content.Size;
        upload.MetadataJson = content.MetadataJson;
        await db.SaveChangesAsync(ct);
        return upload;
    }

    private async Task<string> HashAsync(string key, CancellationToken ct)
    {
        await using var stream = await store.OpenReadAsync(key, ct);
        return Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(stream, ct));
    }

    /// <summary>
    /// Marks the upload Rejected with <paramref name="error"/> after deleting everything it stored. The row stays
    /// (so completing it again answers the same way) until the sweeper removes it after <c>PendingLifetime</c>.
    /// </summary>
    public async Task<Error> RejectAsync(Upload upload, Error error, CancellationToken ct)
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
