using Kiln.Core.Common;
using Kiln.Core.Storage;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Uploads;

/// <summary>
/// Decides whether an upload's bytes are what its name claims and probes them. Remote blobs are streamed to a temp
/// file (the tools need a path) with the size limit enforced while copying; local blobs are inspected in place.
/// </summary>
public sealed class UploadValidator(IBlobStore store, PdfInspector pdf, MediaInspector media, IOptions<UploadOptions> options)
{
    public async Task<Result<ValidatedContent>> ValidateAsync(Upload upload, CancellationToken ct)
    {
        // The declared size was checked against the installation and plan limits when the upload was created;
        // the bytes may not exceed it (a presigned S3 PUT cannot enforce a size by itself).
        var max = Math.Min(options.Value.MaxBytes, upload.DeclaredSize);
        var extension = Path.GetExtension(upload.FileName);
        if (!FileTypes.TryGet(upload.FileName, out var family, out _)) return UploadErrors.UnsupportedType(extension);

        string? temp = null;
        try
        {
            string path;
            long size;
            if (store is LocalDiskBlobStore local)
            {
                path = local.PathFor(upload.BlobKey);
                size = new FileInfo(path).Length;
                if (size > max) return UploadErrors.TooLarge(max);
            }
            else
            {
                var dir = string.IsNullOrEmpty(options.Value.TempPath) ? Path.GetTempPath() : options.Value.TempPath;
                Directory.CreateDirectory(dir);
                temp = path = Path.Combine(dir, $"kiln-upload-{upload.Id:N}-{Guid.NewGuid():N}{extension.ToLowerInvariant()}");
                try
                {
                    await using var source = await store.OpenReadAsync(upload.BlobKey, ct);
                    await using var target = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous);
                    size = await LocalDiskBlobStore.CopyLimitedAsync(source, target, max, ct);
                }
                catch (BlobTooLargeException)
                {
                    return UploadErrors.TooLarge(max);
                }
            }
            if (size == 0) return UploadErrors.EmptyFile();

            var container = await SniffAsync(path, ct);
            var result = family switch
            {
                FileFamily.Pdf => container == Container.Pdf
                    ? await pdf.InspectAsync(path, ct)
                    : UploadErrors.TypeMismatch($"'{upload.FileName}' is named like a PDF but is not one."),
                FileFamily.Media => ContentSniffer.IsMedia(container)
                    ? await media.InspectAsync(path, container, ct)
                    : UploadErrors.TypeMismatch($"'{upload.FileName}' is named like {extension} media but is not an audio or video file."),
                _ => container != Container.Unknown
                    ? UploadErrors.TypeMismatch($"'{upload.FileName}' is named like text but is a binary file.")
                    : await InspectTextAsync(path, family, extension, ct),
            };
            return result.IsSuccess ? result.Value! with { Size = size } : result;
        }
        finally
        {
            if (temp is not null) File.Delete(temp);
        }
    }

    private static async Task<Container> SniffAsync(string path, CancellationToken ct)
    {
        var head = new byte[ContentSniffer.HeaderLength];
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 4096, FileOptions.Asynchronous);
        var read = await file.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, ct);
        return ContentSniffer.Detect(head.AsSpan(0, read));
    }

    private static async Task<Result<ValidatedContent>> InspectTextAsync(string path, FileFamily family, string extension, CancellationToken ct)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 16384, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return await TextInspector.InspectAsync(file, family, extension, ct);
    }
}
