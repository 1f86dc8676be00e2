namespace Kiln.Core.Uploads;

public enum UploadStatus { Pending = 0, Ready = 1, Rejected = 2 }

public sealed class Upload
{
    public Guid Id { get; set; }
    public Guid WorkspaceId { get; set; }
    public Guid? CreatedByUserId { get; set; }
    public required string FileName { get; set; }
    public string? DeclaredContentType { get; set; }
    /// <summary>What validation found: "pdf", "audio", "video", "subtitles", "text".</summary>
    public string? Kind { get; set; }
    public string? ContentType { get; set; }
    public long DeclaredSize { get; set; }
    public long? Size { get; set; }
    public required string BlobKey { get; set; }
    /// <summary>S3 multipart upload id when the bytes go straight to S3 in parts.</summary>
    public string? MultipartId { get; set; }
    public UploadStatus Status { get; set; }
    /// <summary>Probed facts as JSON: page count, duration, streams.</summary>
    public string? MetadataJson { get; set; }
    /// <summary>SHA-256 (hex) of the bytes validated at completion; a job checks its inputs against it before running.</summary>
    public string? Sha256 { get; set; }
    public string? RejectCode { get; set; }
    public string? RejectMessage { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime ExpiresAt { get; set; }
    /// <summary>When its creator shared it with the workspace (matters only under per-member privacy).</summary>
    public DateTime? SharedAt { get; set; }
}
