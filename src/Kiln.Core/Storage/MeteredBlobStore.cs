using Kiln.Core.Common;

namespace Kiln.Core.Storage;

/// <summary>
/// Counts failed blob store operations in <c>kiln_storage_errors_total{operation}</c> (a full disk, a permission
/// problem, an object store that is down or refuses the credentials), so an alert can fire before users notice.
/// Expected outcomes are not errors: a missing object, a client's incomplete or oversized upload, a canceled call.
/// An unreachable store surfaces as <see cref="BlobStoreUnavailableException"/>, whatever the store's own client threw.
/// </summary>
public sealed class MeteredBlobStore(IBlobStore inner) : IBlobStore
{
    public IBlobStore Inner { get; } = inner;

    /// <summary>The store behind the meter, for code that uses a store's own abilities (the local store's file paths).</summary>
    public static IBlobStore Unwrap(IBlobStore store) => store is MeteredBlobStore m ? m.Inner : store;

    public Task PutAsync(string key, Stream content, string contentType, CancellationToken ct) => Run("put", () => Inner.PutAsync(key, content, contentType, ct), ct);
    public Task<Stream> OpenReadAsync(string key, CancellationToken ct) => Run("read", () => Inner.OpenReadAsync(key, ct), ct);
    public Task<Stream> OpenReadToHashAsync(string key, CancellationToken ct) => Run("read", () => Inner.OpenReadToHashAsync(key, ct), ct);
    public Task<BlobInfo?> StatAsync(string key, CancellationToken ct) => Run("stat", () => Inner.StatAsync(key, ct), ct);
    public Task DeleteAsync(string key, CancellationToken ct) => Run("delete", () => Inner.DeleteAsync(key, ct), ct);
    public Task DeletePrefixAsync(string prefix, CancellationToken ct) => Run("delete", () => Inner.DeletePrefixAsync(prefix, ct), ct);
    public Uri GetDownloadUrl(string key, string fileName, string contentType, TimeSpan lifetime) => Inner.GetDownloadUrl(key, fileName, contentType, lifetime);
    public BlobUploadTarget GetUploadUrl(string key, string contentType, long maxBytes, TimeSpan lifetime) => Inner.GetUploadUrl(key, contentType, maxBytes, lifetime);
    public Task<string> InitiateMultipartAsync(string key, string contentType, CancellationToken ct) => Run("multipart", () => Inner.InitiateMultipartAsync(key, contentType, ct), ct);
    public BlobUploadTarget GetPartUploadUrl(string key, string uploadId, int partNumber, long maxBytes, TimeSpan lifetime) =>
        Inner.GetPartUploadUrl(key, uploadId, partNumber, maxBytes, lifetime);
    public Task<IReadOnlyList<BlobPart>?> ListPartsAsync(string key, string uploadId, CancellationToken ct) => Run("multipart", () => Inner.ListPartsAsync(key, uploadId, ct), ct);
    public Task<string?> CompleteMultipartAsync(string key, string uploadId, IReadOnlyList<BlobPart> parts, CancellationToken ct) =>
        Run("multipart", () => Inner.CompleteMultipartAsync(key, uploadId, parts, ct), ct);
    public Task AbortMultipartAsync(string key, string uploadId, CancellationToken ct) => Run("multipart", () => Inner.AbortMultipartAsync(key, uploadId, ct), ct);
    public Task<IReadOnlyList<MultipartUploadInfo>> ListMultipartUploadsAsync(string prefix, CancellationToken ct) => Run("list", () => Inner.ListMultipartUploadsAsync(prefix, ct), ct);
    public string? PublicOrigin => Inner.PublicOrigin;

    private static async Task Run(string operation, Func<Task> call, CancellationToken ct)
    {
        try { await call(); }
        catch (Exception ex) when (IsError(ex, ct))
        {
            Count(operation);
            if (ex is not BlobStoreUnavailableException && BlobStoreUnavailableException.IsOutage(ex, ct)) throw new BlobStoreUnavailableException(operation, ex);
            throw;
        }
    }

    private static async Task<T> Run<T>(string operation, Func<Task<T>> call, CancellationToken ct)
    {
        try { return await call(); }
        catch (Exception ex) when (IsError(ex, ct))
        {
            Count(operation);
            if (ex is not BlobStoreUnavailableException && BlobStoreUnavailableException.IsOutage(ex, ct)) throw new BlobStoreUnavailableException(operation, ex);
            throw;
        }
    }

    private static bool IsError(Exception ex, CancellationToken ct) =>
        ex is not (BlobIncompleteException or BlobTooLargeException or FileNotFoundException or KeyNotFoundException)
        && !(ex is OperationCanceledException && ct.IsCancellationRequested);

    private static void Count(string operation) => KilnMetrics.StorageErrors.Add(1, new KeyValuePair<string, object?>("operation", operation));
}
