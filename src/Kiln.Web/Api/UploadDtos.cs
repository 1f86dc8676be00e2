using System.Text.Json;
using Kiln.Core.Common;
using Kiln.Core.Uploads;

namespace Kiln.Web.Api;

// The uploads area's DTOs: Core's upload use cases return the Upload entity (or CreatedUpload); these are its wire shape.

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

    public static Paged<UploadDto> From(UploadPage p) => new(p.Items.Select(From).ToList(), p.Page, p.PageSize, p.Total);
}

/// <summary>One PUT the client must make; <paramref name="Headers"/> are part of the signature and must be sent as given.</summary>
public sealed record UploadPartDto(int PartNumber, Uri Url, string Method, IReadOnlyDictionary<string, string> Headers);

/// <param name="PartSize">Byte length of every part but the last (the file is split in order).</param>
public sealed record CreatedUploadDto(Guid Id, long PartSize, IReadOnlyList<UploadPartDto> Parts, DateTime ExpiresAt)
{
    public static CreatedUploadDto From(CreatedUpload c) =>
        new(c.Id, c.PartSize, c.Parts.Select(p => new UploadPartDto(p.PartNumber, p.Url, p.Method, p.Headers)).ToList(), c.ExpiresAt);
}
