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
    Task<BlobInfo?> StatAsync(string key, CancellationToken ct);
    Task DeleteAsync(string key, CancellationToken ct);
    Task DeletePrefixAsync(string prefix, CancellationToken ct);
    /// <summary>A short-lived URL that downloads the object with an encoded Content-Disposition filename.</summary>
    Uri GetDownloadUrl(string key, string fileName, string contentType, TimeSpan lifetime);
}

public sealed record BlobInfo(string Key, long Size, string? ContentType);

public static class BlobKeys
{
    public static string WorkspacePrefix(Guid workspaceId) => $"ws/{workspaceId:N}/";
    public static string Upload(Guid workspaceId, Guid uploadId) => $"ws/{workspaceId:N}/uploads/{uploadId:N}";
    public static string JobPrefix(Guid workspaceId, Guid jobId) => $"ws/{workspaceId:N}/jobs/{jobId:N}/";
    public static string Artifact(Guid workspaceId, Guid jobId, int attempt, string name) => $"ws/{workspaceId:N}/jobs/{jobId:N}/a{attempt}/{name}";
}
