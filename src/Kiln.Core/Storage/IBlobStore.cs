namespace Kiln.Core.Storage;

/// <summary>
/// Where uploads and artifacts live. Keys are tenant-prefixed (<c>ws/{workspaceId}/…</c>, see <see cref="BlobKeys"/>).
/// Implementations: <c>LocalDiskBlobStore</c> (embedded default) and <c>S3BlobStore</c> (AWS, MinIO, Ceph RGW, R2).
/// Content is always streamed; nothing here buffers a whole object in memory.
/// </summary>
public interface IBlobStore
{
    Task PutAsync(string key, Stream content, string contentType, CancellationToken ct);
    Task<Stream> OpenReadAsync(string key, CancellationToken ct);

    /// <summary>
    /// The whole object, for a reader that checks the bytes itself (an upload's validation hashes them with SHA-256):
    /// a store may leave out a check of its own on the way (the S3 SDK's MD5 of the body against a plain ETag).
    /// </summary>
    Task<Stream> OpenReadToHashAsync(string key, CancellationToken ct) => OpenReadAsync(key, ct);
    Task<BlobInfo?> StatAsync(string key, CancellationToken ct);
    Task DeleteAsync(string key, CancellationToken ct);
    Task DeletePrefixAsync(string prefix, CancellationToken ct);
    /// <summary>A short-lived URL that downloads the object with an encoded Content-Disposition filename.</summary>
    Uri GetDownloadUrl(string key, string fileName, string contentType, TimeSpan lifetime);

    /// <summary>
    /// A short-lived URL the client PUTs the whole object to. <paramref name="maxBytes"/> is enforced by stores that
    /// receive the bytes themselves; S3 cannot enforce it on a presigned PUT, so completion re-checks the size.
    /// </summary>
    BlobUploadTarget GetUploadUrl(string key, string contentType, long maxBytes, TimeSpan lifetime);

    /// <summary>Starts a multipart upload and returns its id.</summary>
    Task<string> InitiateMultipartAsync(string key, string contentType, CancellationToken ct);

    /// <summary>A short-lived URL for one part (1-based). The response's <c>ETag</c> header identifies the part.</summary>
    BlobUploadTarget GetPartUploadUrl(string key, string uploadId, int partNumber, long maxBytes, TimeSpan lifetime);

    /// <summary>The parts received so far, or null when the store cannot list them (the client must then send ETags).</summary>
    Task<IReadOnlyList<BlobPart>?> ListPartsAsync(string key, string uploadId, CancellationToken ct);

    /// <summary>
    /// Assembles the parts into the object and returns its SHA-256 (lower-case hex) when the store saw the bytes go by,
    /// or null (S3: the object is assembled remotely). Throws <see cref="BlobIncompleteException"/> when a part is
    /// missing or its ETag differs.
    /// </summary>
    Task<string?> CompleteMultipartAsync(string key, string uploadId, IReadOnlyList<BlobPart> parts, CancellationToken ct);

    /// <summary>Discards a multipart upload and its parts; a no-op when it no longer exists.</summary>
    Task AbortMultipartAsync(string key, string uploadId, CancellationToken ct);

    /// <summary>Open multipart uploads under a prefix, for sweeping ones nobody will complete.</summary>
    Task<IReadOnlyList<MultipartUploadInfo>> ListMultipartUploadsAsync(string prefix, CancellationToken ct);

    /// <summary>
    /// The origin (<c>scheme://host[:port]</c>) of the links this store hands to clients when it is not Kiln itself,
    /// for a Content-Security-Policy (<c>connect-src</c>, <c>media-src</c>); null when links point at Kiln's own origin.
    /// </summary>
    string? PublicOrigin => null;
}

public sealed record BlobInfo(string Key, long Size, string? ContentType);

/// <summary>Where and how a client sends bytes: <paramref name="Headers"/> must be sent exactly as given.</summary>
public sealed record BlobUploadTarget(Uri Url, string Method, IReadOnlyDictionary<string, string> Headers);

public sealed record BlobPart(int PartNumber, string ETag);

public sealed record MultipartUploadInfo(string Key, string UploadId, DateTimeOffset? Initiated);

/// <summary>The bytes for a multipart upload are not all there (or not the ones the client claims).</summary>
public sealed class BlobIncompleteException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The upload a signed link belongs to no longer takes bytes (completed, rejected or deleted).</summary>
public sealed class BlobClosedException() : Exception("This upload link no longer accepts bytes: the upload was completed or deleted.");

/// <summary>A client sent more bytes than its signed URL allows.</summary>
public sealed class BlobTooLargeException(long limit) : Exception($"The content exceeds the limit of {limit} bytes.")
{
    public long Limit { get; } = limit;
}

public static class BlobKeys
{
    public static string WorkspacePrefix(Guid workspaceId) => $"ws/{workspaceId:N}/";
    public static string Upload(Guid workspaceId, Guid uploadId) => $"ws/{workspaceId:N}/uploads/{uploadId:N}";
    public static string JobPrefix(Guid workspaceId, Guid jobId) => $"ws/{workspaceId:N}/jobs/{jobId:N}/";
    public static string Artifact(Guid workspaceId, Guid jobId, int attempt, string name) => $"ws/{workspaceId:N}/jobs/{jobId:N}/a{attempt}/{name}";
}
