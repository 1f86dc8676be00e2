using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Storage;

/// <summary>
/// Blobs as files under a root directory. Writes go to a temp file in the target directory and are then renamed,
/// so readers never see a half-written object. Clients reach it through Kiln's own HMAC-signed <c>/blobs/{key}</c>
/// endpoints, which mirror S3 presigned URLs (see <see cref="VerifyDownload"/> and <see cref="VerifyUpload"/>).
/// </summary>
public sealed partial class LocalDiskBlobStore : IBlobStore
{
    private const int BufferSize = 81920;
    private readonly string _root;
    private readonly LocalBlobSigner _signer;
    private readonly Uri _baseUrl;
    private readonly TimeProvider _time;

    public LocalDiskBlobStore(string root, LocalBlobSigner signer, Uri publicBaseUrl, TimeProvider time)
    {
        _root = Path.GetFullPath(root).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        Directory.CreateDirectory(_root);
        _signer = signer;
        _baseUrl = publicBaseUrl;
        _time = time;
    }

    public LocalDiskBlobStore(IOptions<BlobStoreOptions> options, TimeProvider time)
        : this(options.Value.LocalPath, LocalBlobSigner.FromOptions(options.Value), new Uri(options.Value.PublicBaseUrl), time)
    {
    }

    public string Root => _root;

    /// <summary>The file backing a key; lets validation run tools on it without copying.</summary>
    public string PathFor(string key)
    {
        BlobKeyRules.Ensure(key);
        var path = Path.GetFullPath(Path.Combine(_root, key.Replace('/', Path.DirectorySeparatorChar)));
        // Defence in depth: the key rules already forbid "..", but the root check is what actually guarantees it.
        if (!path.StartsWith(_root, StringComparison.Ordinal)) throw new ArgumentException($"Invalid blob key '{key}'.", nameof(key));
        return path;
    }

    public async Task PutAsync(string key, Stream content, string contentType, CancellationToken ct) =>
        await WriteAtomicAsync(PathFor(key), content, long.MaxValue, ct);

    public Task<Stream> OpenReadAsync(string key, CancellationToken ct)
    {
        var path = PathFor(key);
        // Delete sharing so a sweep can remove the blob while a slow download still streams it.
        Stream stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.Read | FileShare.Delete,
            Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
            BufferSize = BufferSize,
        });
        return Task.FromResult(stream);
    }

    public Task<BlobInfo?> StatAsync(string key, CancellationToken ct)
    {
        var info = new FileInfo(PathFor(key));
        return Task.FromResult(info.Exists ? new BlobInfo(key, info.Length, null) : null);
    }

    public Task DeleteAsync(string key, CancellationToken ct)
    {
        // Deleting what is not there is not an error (a pending upload has no object yet, only parts or nothing).
        var path = PathFor(key);
        if (File.Exists(path)) File.Delete(path);
        return Task.CompletedTask;
    }

    public Task DeletePrefixAsync(string prefix, CancellationToken ct)
    {
        BlobKeyRules.Ensure(prefix, allowTrailingSlash: true);
        var lastSlash = prefix.LastIndexOf('/');
        var dir = lastSlash < 0 ? _root : Path.Combine(_root, prefix[..lastSlash].Replace('/', Path.DirectorySeparatorChar));
        if (!Directory.Exists(dir)) return Task.CompletedTask;
        foreach (var file in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
        {
            ct.ThrowIfCancellationRequested();
            var key = Path.GetRelativePath(_root, file).Replace(Path.DirectorySeparatorChar, '/');
            if (key.StartsWith(prefix, StringComparison.Ordinal) && BlobKeyRules.IsValid(key)) File.Delete(file);
        }
        // Job prefixes leave attempt subdirectories behind; drop the whole tree once no file is left in it.
        if (prefix.EndsWith('/') && !Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Any()) Directory.Delete(dir, recursive: true);
        return Task.CompletedTask;
    }

    public Uri GetDownloadUrl(string key, string fileName, string contentType, TimeSpan lifetime)
    {
        BlobKeyRules.Ensure(key);
        var exp = Expiry(lifetime);
        var sig = _signer.Sign("GET", key, exp, fileName, contentType);
        return BuildUrl(key, ("exp", exp), ("fn", fileName), ("ct", contentType), ("sig", sig));
    }

    public BlobUploadTarget GetUploadUrl(string key, string contentType, long maxBytes, TimeSpan lifetime) =>
        UploadTarget(key, null, null, maxBytes, lifetime, contentType);

    /// <summary>Checks a <c>GET /blobs/{key}</c> request; null means forged, tampered with or expired.</summary>
    public LocalBlobDownload? VerifyDownload(string key, IQueryCollection query)
    {
        if (!BlobKeyRules.IsValid(key)) return null;
        string exp = query["exp"].ToString(), fn = query["fn"].ToString(), ct = query["ct"].ToString();
        if (!NotExpired(exp) || !_signer.Verify(query["sig"].ToString(), "GET", key, exp, fn, ct)) return null;
        return new LocalBlobDownload(key, fn, string.IsNullOrEmpty(ct) ? "application/octet-stream" : ct);
    }

    /// <summary>Checks a <c>PUT /blobs/{key}</c> request; null means forged, tampered with or expired.</summary>
    public LocalBlobUpload? VerifyUpload(string key, IQueryCollection query)
    {
        if (!BlobKeyRules.IsValid(key)) return null;
        string exp = query["exp"].ToString(), max = query["max"].ToString(), upload = query["upload"].ToString(), part = query["part"].ToString();
        if (!NotExpired(exp) || !_signer.Verify(query["sig"].ToString(), "PUT", key, exp, max, upload, part)) return null;
        if (!long.TryParse(max, NumberStyles.None, CultureInfo.InvariantCulture, out var maxBytes)) return null;
        int? partNumber = int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : null;
        return new LocalBlobUpload(key, maxBytes, upload.Length == 0 ? null : upload, partNumber);
    }

    /// <summary>
    /// Stores the body of a verified PUT, stopping with <see cref="BlobTooLargeException"/> as soon as it passes the
    /// signed limit. Returns the ETag of what was stored.
    /// </summary>
    /// <param name="stillOpen">Asked after the bytes are in and before they replace the object: false discards them
    /// (<see cref="BlobClosedException"/>), so a link whose upload was completed or deleted meanwhile writes nothing.</param>
    public async Task<string> ReceiveAsync(LocalBlobUpload upload, Stream body, CancellationToken ct, Func<CancellationToken, Task<bool>>? stillOpen = null)
    {
        if (upload.UploadId is null)
        {
            await WriteAtomicAsync(PathFor(upload.Key), body, upload.MaxBytes, ct, stillOpen, durable: true);
            return "\"single\"";
        }
        return await WritePartAsync(upload, body, ct);
    }

    private BlobUploadTarget UploadTarget(string key, string? uploadId, int? partNumber, long maxBytes, TimeSpan lifetime, string? contentType)
    {
        BlobKeyRules.Ensure(key);
        var exp = Expiry(lifetime);
        var max = maxBytes.ToString(CultureInfo.InvariantCulture);
        var upload = uploadId ?? "";
        var part = partNumber?.ToString(CultureInfo.InvariantCulture) ?? "";
        var sig = _signer.Sign("PUT", key, exp, max, upload, part);
        var url = uploadId is null
            ? BuildUrl(key, ("exp", exp), ("max", max), ("sig", sig))
            : BuildUrl(key, ("exp", exp), ("max", max), ("upload", upload), ("part", part), ("sig", sig));
        var headers = contentType is null
            ? new Dictionary<string, string>()
            : new Dictionary<string, string> { ["Content-Type"] = contentType };
        return new BlobUploadTarget(url, "PUT", headers);
    }

    private string Expiry(TimeSpan lifetime) =>
        _time.GetUtcNow().Add(lifetime).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    private bool NotExpired(string exp) =>
        long.TryParse(exp, NumberStyles.None, CultureInfo.InvariantCulture, out var unix) && unix >= _time.GetUtcNow().ToUnixTimeSeconds();

    private Uri BuildUrl(string key, params (string Name, string Value)[] query)
    {
        var qs = string.Join('&', query.Select(q => $"{q.Name}={Uri.EscapeDataString(q.Value)}"));
        return new Uri(_baseUrl, $"{_baseUrl.AbsolutePath.TrimEnd('/')}/blobs/{BlobKeyRules.ToUrlPath(key)}?{qs}");
    }

    private static async Task<long> WriteAtomicAsync(string path, Stream content, long maxBytes, CancellationToken ct,
        Func<CancellationToken, Task<bool>>? beforeCommit = null, bool durable = false)
    {
        var dir = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(dir);
        // Same directory as the target, so the final rename is atomic on one filesystem.
        var temp = Path.Combine(dir, $".tmp-{Guid.NewGuid():N}");
        try
        {
            long written;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, FileOptions.Asynchronous))
            {
                written = await CopyLimitedAsync(content, file, maxBytes, ct);
                await file.FlushAsync(ct);
                // An uploaded file is acknowledged once it is on disk (see LocalDiskBlobStore.Durable.cs).
                if (durable) file.Flush(flushToDisk: true);
            }
            if (beforeCommit is not null && !await beforeCommit(ct)) throw new BlobClosedException();
            File.Move(temp, path, overwrite: true);
            if (durable) FsyncDirectory(dir);
            return written;
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Copies at most <paramref name="maxBytes"/>, failing the moment the source has more.</summary>
    public static async Task<long> CopyLimitedAsync(Stream source, Stream destination, long maxBytes, CancellationToken ct, Action<ReadOnlyMemory<byte>>? observe = null,
        int bufferSize = BufferSize)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(bufferSize);
        try
        {
            long total = 0;
            int read;
            while ((read = await source.ReadAsync(buffer.AsMemory(0, bufferSize), ct)) > 0)
            {
                total += read;
                if (total > maxBytes) throw new BlobTooLargeException(maxBytes);
                observe?.Invoke(buffer.AsMemory(0, read));
                await destination.WriteAsync(buffer.AsMemory(0, read), ct);
            }
            return total;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

public sealed record LocalBlobDownload(string Key, string FileName, string ContentType);

public sealed record LocalBlobUpload(string Key, long MaxBytes, string? UploadId, int? PartNumber);
