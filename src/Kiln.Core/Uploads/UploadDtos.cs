using System.Text.Json;
using Kiln.Core.Storage;
using Kiln.Core.Common;

namespace Kiln.Core.Uploads;

public sealed record CreateUploadRequest(string FileName, long Size, string? ContentType);

/// <summary>One PUT the client must make; <paramref name="Headers"/> are part of the signature and must be sent as given.</summary>
public sealed record UploadPartTarget(int PartNumber, Uri Url, string Method, IReadOnlyDictionary<string, string> Headers);

/// <param name="PartSize">Byte length of every part but the last (the file is split in order).</param>
public sealed record CreatedUpload(Guid Id, long PartSize, IReadOnlyList<UploadPartTarget> Parts, DateTime ExpiresAt);

/// <summary>The ETag the storage returned for each part's PUT; optional when the store can list parts itself.</summary>
public sealed record CompletedPart(int PartNumber, string ETag);

public sealed record UploadDto(
    Guid Id,
    string FileName,
    string Status,
    string? Kind,
    string? ContentType,
    long DeclaredSize,
    long? Size,
    JsonElement? Metadata,
    string? RejectCode,
    string? RejectMessage,
    DateTime CreatedAt,
    DateTime? ExpiresAt)
{
    public static UploadDto From(Upload u) => new(
        u.Id,
        u.FileName,
        u.Status.WireName(),
        u.Kind,
        u.ContentType,
        u.DeclaredSize,
        u.Size,
        u.MetadataJson is null ? null : JsonSerializer.Deserialize<JsonElement>(u.MetadataJson),
        u.RejectCode,
        u.RejectMessage,
        DateTime.SpecifyKind(u.CreatedAt, DateTimeKind.Utc),
        // Ready uploads are kept; only pending and rejected ones expire.
        u.Status == UploadStatus.Ready ? null : DateTime.SpecifyKind(u.ExpiresAt, DateTimeKind.Utc));
}

public sealed record UploadPage(IReadOnlyList<UploadDto> Items, int Page, int PageSize, int Total);

internal static class UploadBlobs
{
    /// <summary>Removes everything an upload put in storage; safe to call for any state.</summary>
    public static async Task DeleteAllAsync(IBlobStore store, Upload upload, CancellationToken ct)
    {
        if (upload.MultipartId is not null) await store.AbortMultipartAsync(upload.BlobKey, upload.MultipartId, ct);
        await store.DeleteAsync(upload.BlobKey, ct);
    }
}
