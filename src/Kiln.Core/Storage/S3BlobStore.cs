using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Storage;

/// <summary>
/// Blobs in an S3 bucket (AWS, MinIO, Ceph RGW, R2, s3rver). Clients upload and download straight to the bucket
/// through presigned URLs; Kiln itself only streams objects for validation and pipelines.
/// </summary>
public sealed class S3BlobStore : IBlobStore, IDisposable
{
    private readonly AmazonS3Client _s3;
    // Signs the links clients use; a second client only when they reach the store at another address than Kiln does.
    private readonly AmazonS3Client _presigner;
    private readonly string _bucket;
    private readonly Protocol _protocol;

    private readonly TimeProvider _time;

    public S3BlobStore(IOptions<BlobStoreOptions> options, TimeProvider time) : this(options.Value.S3, time) { }

    public S3BlobStore(S3StoreOptions options, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _s3 = CreateClient(options, options.ServiceUrl);
        var publicUrl = string.IsNullOrWhiteSpace(options.PublicServiceUrl) ? options.ServiceUrl : options.PublicServiceUrl;
        _presigner = publicUrl == options.ServiceUrl ? _s3 : CreateClient(options, publicUrl);
        _bucket = options.Bucket;
        _protocol = publicUrl?.StartsWith("http://", StringComparison.OrdinalIgnoreCase) == true ? Protocol.HTTP : Protocol.HTTPS;
        // Presigning is local computation: the origin of a sample link is exactly what clients will be sent to
        // (with AWS and virtual-hosted style that is the bucket's own host). Lazy: it needs the credentials.
        _publicOrigin = new Lazy<string>(() =>
            new Uri(_presigner.GetPreSignedURL(Presign("origin", HttpVerb.GET, TimeSpan.FromMinutes(1)))).GetLeftPart(UriPartial.Authority));
    }

    private readonly Lazy<string> _publicOrigin;

    /// <summary>Where presigned links point: the public endpoint's origin (or the bucket's AWS host).</summary>
    public string? PublicOrigin => _publicOrigin.Value;

    private static AmazonS3Client CreateClient(S3StoreOptions options, string? serviceUrl)
    {
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            // Newer SDK defaults add CRC trailers (aws-chunked bodies) that several S3-compatible servers mishandle.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (!string.IsNullOrWhiteSpace(serviceUrl))
        {
            config.ServiceURL = serviceUrl;
            config.AuthenticationRegion = options.Region;
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(options.Region);
        }
        return string.IsNullOrEmpty(options.AccessKey)
            ? new AmazonS3Client(config)
            : new AmazonS3Client(new BasicAWSCredentials(options.AccessKey, options.SecretKey), config);
    }

    public async Task PutAsync(string key, Stream content, string contentType, CancellationToken ct)
    {
        BlobKeyRules.Ensure(key);
        // Without chunk encoding the SDK needs a length and a rewindable body; spooling to disk keeps memory flat.
        string? spool = null;
        var body = content;
        try
        {
            if (!content.CanSeek)
            {
                spool = Path.Combine(Path.GetTempPath(), $"kiln-s3-{Guid.NewGuid():N}");
                body = new FileStream(spool, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.Asynchronous | FileOptions.DeleteOnClose);
                await content.CopyToAsync(body, ct);
                body.Position = 0;
            }
            await _s3.PutObjectAsync(new PutObjectRequest
            {
                BucketName = _bucket,
                Key = key,
                InputStream = body,
                AutoCloseStream = false,
                ContentType = contentType,
                // s3rver (and some gateways) store aws-chunked framing as object bytes instead of decoding it.
                UseChunkEncoding = false,
            }, ct);
        }
        finally
        {
            if (spool is not null) await body.DisposeAsync();
        }
    }

    public async Task<Stream> OpenReadAsync(string key, CancellationToken ct)
    {
        BlobKeyRules.Ensure(key);
        try
        {
            var response = await _s3.GetObjectAsync(_bucket, key, ct);
            return new ResponseStream(response);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw new FileNotFoundException($"Blob '{key}' does not exist.", key, e);
        }
    }

    /// <summary>
    /// The whole object as an open range (<c>bytes=0-</c>): with a range the SDK does not compute the
    /// body's MD5 to compare with a plain (single-part) ETag. Its MD5 is managed code: it was 40 % of the server's CPU
    /// validating an upload on s3rver, whose multipart ETags are plain MD5s; the caller hashes every byte with
    /// SHA-256 anyway, and a job checks that hash against the object again before it runs.
    /// </summary>
    public async Task<Stream> OpenReadToHashAsync(string key, CancellationToken ct)
    {
        BlobKeyRules.Ensure(key);
        try
        {
            // An empty object has no byte to range over (S3 answers 416; s3rver would announce one byte it never sends).
            var meta = await _s3.GetObjectMetadataAsync(_bucket, key, ct);
            if (meta.ContentLength == 0) return await OpenReadAsync(key, ct);
            var response = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = key, ByteRange = new ByteRange("bytes=0-") }, ct);
            return new ResponseStream(response);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            return await OpenReadAsync(key, ct); // emptied since the HEAD
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            throw new FileNotFoundException($"Blob '{key}' does not exist.", key, e);
        }
    }

    public async Task<BlobInfo?> StatAsync(string key, CancellationToken ct)
    {
        BlobKeyRules.Ensure(key);
        try
        {
            var meta = await _s3.GetObjectMetadataAsync(_bucket, key, ct);
            return new BlobInfo(key, meta.ContentLength, meta.Headers.ContentType);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task DeleteAsync(string key, CancellationToken ct)
    {
        BlobKeyRules.Ensure(key);
        await _s3.DeleteObjectAsync(_bucket, key, ct);
    }

    public async Task DeletePrefixAsync(string prefix, CancellationToken ct)
    {
        BlobKeyRules.Ensure(prefix, allowTrailingSlash: true);
        string? token = null;
        do
        {
            var page = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, Prefix = prefix, ContinuationToken = token }, ct);
            // SDK v4 leaves collections null when a response has none.
            foreach (var obj in page.S3Objects ?? [])
            {
                await _s3.DeleteObjectAsync(_bucket, obj.Key, ct);
            }
            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);
    }

    public Uri GetDownloadUrl(string key, string fileName, string contentType, TimeSpan lifetime)
    {
        BlobKeyRules.Ensure(key);
        var request = Presign(key, HttpVerb.GET, lifetime);
        request.ResponseHeaderOverrides.ContentDisposition = ContentDispositionHeader.Attachment(fileName);
        request.ResponseHeaderOverrides.ContentType = contentType;
        return new Uri(_presigner.GetPreSignedURL(request));
    }

    public BlobUploadTarget GetUploadUrl(string key, string contentType, long maxBytes, TimeSpan lifetime)
    {
        BlobKeyRules.Ensure(key);
        var request = Presign(key, HttpVerb.PUT, lifetime);
        request.ContentType = contentType;
        return new BlobUploadTarget(new Uri(_presigner.GetPreSignedURL(request)), "PUT", new Dictionary<string, string> { ["Content-Type"] = contentType });
    }

    public async Task<string> InitiateMultipartAsync(string key, string contentType, CancellationToken ct)
    {
        BlobKeyRules.Ensure(key);
        var response = await _s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = _bucket, Key = key, ContentType = contentType }, ct);
        return response.UploadId;
    }

    public BlobUploadTarget GetPartUploadUrl(string key, string uploadId, int partNumber, long maxBytes, TimeSpan lifetime)
    {
        BlobKeyRules.Ensure(key);
        ArgumentOutOfRangeException.ThrowIfLessThan(partNumber, 1);
        var request = Presign(key, HttpVerb.PUT, lifetime);
        request.UploadId = uploadId;
        request.PartNumber = partNumber;
        return new BlobUploadTarget(new Uri(_presigner.GetPreSignedURL(request)), "PUT", new Dictionary<string, string>());
    }

    /// <summary>Uploads one part from the server side (used by tests and tools; clients use presigned URLs).</summary>
    public async Task<string> UploadPartAsync(string key, string uploadId, int partNumber, Stream content, CancellationToken ct)
    {
        var response = await _s3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = _bucket, Key = key, UploadId = uploadId, PartNumber = partNumber, InputStream = content, UseChunkEncoding = false,
        }, ct);
        return response.ETag;
    }

    public async Task<IReadOnlyList<BlobPart>?> ListPartsAsync(string key, string uploadId, CancellationToken ct)
    {
        try
        {
            var parts = new List<BlobPart>();
            int? marker = null;
            while (true)
            {
                var page = await _s3.ListPartsAsync(new ListPartsRequest { BucketName = _bucket, Key = key, UploadId = uploadId, PartNumberMarker = marker?.ToString(System.Globalization.CultureInfo.InvariantCulture) }, ct);
                parts.AddRange((page.Parts ?? []).Select(p => new BlobPart(p.PartNumber ?? 0, p.ETag)));
                if (page.IsTruncated != true) break;
                marker = page.NextPartNumberMarker;
            }
            return parts;
        }
        catch (AmazonS3Exception e) when (IsUnsupported(e))
        {
            return null;
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchUpload")
        {
            return [];
        }
    }

    public async Task<string?> CompleteMultipartAsync(string key, string uploadId, IReadOnlyList<BlobPart> parts, CancellationToken ct)
    {
        BlobKeyRules.Ensure(key);
        if (parts.Count == 0) throw new BlobIncompleteException("No parts were given.");
        try
        {
            await _s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = _bucket,
                Key = key,
                UploadId = uploadId,
                PartETags = parts.Select(p => new PartETag(p.PartNumber, p.ETag)).ToList(),
            }, ct);
            return null; // S3 assembles the object itself; its SHA-256 is read back by whoever needs it
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound)
        {
            // InvalidPart, InvalidPartOrder, EntityTooSmall, NoSuchUpload: the client has not sent what it claims.
            throw new BlobIncompleteException($"The multipart upload could not be completed: {e.ErrorCode}.", e);
        }
    }

    public async Task AbortMultipartAsync(string key, string uploadId, CancellationToken ct)
    {
        try
        {
            await _s3.AbortMultipartUploadAsync(_bucket, key, uploadId, ct);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode == "NoSuchUpload" || IsUnsupported(e))
        {
            // Already gone, or a server without abort (s3rver); bucket lifecycle rules must clean those up.
        }
    }

    public async Task<IReadOnlyList<MultipartUploadInfo>> ListMultipartUploadsAsync(string prefix, CancellationToken ct)
    {
        var result = new List<MultipartUploadInfo>();
        try
        {
            string? keyMarker = null, idMarker = null;
            while (true)
            {
                var page = await _s3.ListMultipartUploadsAsync(new ListMultipartUploadsRequest
                {
                    BucketName = _bucket, Prefix = prefix, KeyMarker = keyMarker, UploadIdMarker = idMarker,
                }, ct);
                result.AddRange((page.MultipartUploads ?? []).Select(u => new MultipartUploadInfo(
                    u.Key, u.UploadId, u.Initiated is { } at ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc)) : null)));
                if (page.IsTruncated != true) break;
                (keyMarker, idMarker) = (page.NextKeyMarker, page.NextUploadIdMarker);
            }
        }
        catch (AmazonS3Exception e) when (IsUnsupported(e))
        {
            // Not every S3-compatible server lists uploads; tracked rows are still swept by id.
        }
        return result;
    }

    public void Dispose()
    {
        if (!ReferenceEquals(_presigner, _s3)) _presigner.Dispose();
        _s3.Dispose();
    }

    private GetPreSignedUrlRequest Presign(string key, HttpVerb verb, TimeSpan lifetime) => new()
    {
        BucketName = _bucket,
        Key = key,
        Verb = verb,
        Expires = _time.GetUtcNow().UtcDateTime.Add(lifetime),
        Protocol = _protocol,
    };

    private static bool IsUnsupported(AmazonS3Exception e) =>
        e.ErrorCode is "NotImplemented" or "MethodNotAllowed" || e.StatusCode is HttpStatusCode.NotImplemented or HttpStatusCode.MethodNotAllowed;

    /// <summary>Keeps the GetObject response (and its connection) alive exactly as long as the caller reads.</summary>
    private sealed class ResponseStream(GetObjectResponse response) : Stream
    {
        private readonly Stream _inner = response.ResponseStream;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => response.ContentLength;
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _inner.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => _inner.ReadAsync(buffer, offset, count, cancellationToken);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
                response.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
