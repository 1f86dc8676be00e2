namespace Kiln.Core.Storage;

public enum BlobStoreProvider { Local, S3 }

/// <summary>Bound from <c>Kiln:Storage</c>.</summary>
public sealed class BlobStoreOptions
{
    public BlobStoreProvider Provider { get; set; } = BlobStoreProvider.Local;

    /// <summary>Root directory of the local store (relative paths resolve against the working directory).</summary>
    public string LocalPath { get; set; } = "data/blobs";

    /// <summary>
    /// HMAC key (base64, at least 32 bytes) for the local store's signed <c>/blobs</c> URLs. When empty, a random key
    /// is generated once and kept in <c>{LocalPath}/../blob-signing.key</c> so URLs survive restarts.
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>Absolute base URL of this Kiln instance (e.g. <c>https://kiln.example.com</c>) used in local-store URLs.</summary>
    public string PublicBaseUrl { get; set; } = "http://localhost:5000";

    public S3StoreOptions S3 { get; set; } = new();
}

public sealed class S3StoreOptions
{
    /// <summary>Endpoint for S3-compatible servers (MinIO, Ceph RGW, R2, s3rver); empty means AWS.</summary>
    public string? ServiceUrl { get; set; }

    /// <summary>
    /// The endpoint browsers and API clients reach the store at, used only to presign upload and download links (a
    /// SigV4 signature covers the host, so it must be the host the client calls). Empty means <see cref="ServiceUrl"/>.
    /// Set it when Kiln reaches the store by an internal name (compose's <c>http://s3:9000</c>, a cluster Service)
    /// that clients cannot resolve, e.g. <c>https://s3.example.com</c>.
    /// </summary>
    public string? PublicServiceUrl { get; set; }
    public string Region { get; set; } = "us-east-1";
    public string Bucket { get; set; } = "kiln";
    public string? AccessKey { get; set; }
    public string? SecretKey { get; set; }
    public bool ForcePathStyle { get; set; } = true;
}
