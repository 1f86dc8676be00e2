using Kiln.Core.Common;
using Kiln.Core.Storage;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Uploads;

/// <summary>
/// Decides whether an upload's bytes are what its name claims and probes them. Remote blobs are streamed to a temp
/// file (the tools need a path) with the size limit enforced while copying; local blobs are inspected in place. The
/// checks themselves are <see cref="ContentValidator"/>'s, shared with the CLI.
/// </summary>
public sealed class UploadValidator(IBlobStore store, ContentValidator content, IOptions<UploadOptions> options)
{
    public async Task<Result<ValidatedContent>> ValidateAsync(Upload upload, CancellationToken ct)
    {
        // The declared size was checked against the installation and plan limits when the upload was created;
        // the bytes may not exceed it (a presigned S3 PUT cannot enforce a size by itself).
        var max = Math.Min(options.Value.MaxBytes, upload.DeclaredSize);
        var extension = Path.GetExtension(upload.FileName);
        // Checked again by the content validator; here it saves fetching a blob that cannot pass.
        if (!FileTypes.TryGet(upload.FileName, out _, out _)) return UploadErrors.UnsupportedType(extension);

        string? temp = null;
        try
        {
            string path;
            if (MeteredBlobStore.Unwrap(store) is LocalDiskBlobStore local)
            {
                path = local.PathFor(upload.BlobKey);
                if (new FileInfo(path).Length > max) return UploadErrors.TooLarge(max);
            }
            else
            {
                var dir = string.IsNullOrEmpty(options.Value.TempPath) ? Path.GetTempPath() : options.Value.TempPath;
                Directory.CreateDirectory(dir);
                temp = path = Path.Combine(dir, $"kiln-upload-{upload.Id:N}-{Guid.NewGuid():N}{extension.ToLowerInvariant()}");
                // Hashed while spooled: the recorded SHA-256 is of exactly the bytes validated, and the object is
                // downloaded once, not once more for the hash. The next chunk is received while one is hashed and written.
                using var sha256 = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
                try
                {
                    await using var source = await store.OpenReadToHashAsync(upload.BlobKey, ct);
                    await using var target = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0, FileOptions.Asynchronous);
                    await HashedCopy.CopyAsync(source, target, max, sha256, ct);
                }
                catch (BlobTooLargeException)
                {
                    return UploadErrors.TooLarge(max);
                }
                var spooled = await content.ValidateFileAsync(path, upload.FileName, ct);
                return spooled.IsSuccess ? spooled.Value! with { Sha256 = Convert.ToHexStringLower(sha256.GetHashAndReset()) } : spooled;
            }
            return await content.ValidateFileAsync(path, upload.FileName, ct);
        }
        finally
        {
            if (temp is not null) File.Delete(temp);
        }
    }
}
