namespace Kiln.Core.Uploads;

/// <summary>One PUT the client must make; <paramref name="Headers"/> are part of the signature and must be sent as given.</summary>
public sealed record UploadPartTarget(int PartNumber, Uri Url, string Method, IReadOnlyDictionary<string, string> Headers);

/// <summary>A registered upload and where its bytes go (<see cref="CreateUploadCommand"/>).</summary>
/// <param name="PartSize">Byte length of every part but the last (the file is split in order).</param>
public sealed record CreatedUpload(Guid Id, long PartSize, IReadOnlyList<UploadPartTarget> Parts, DateTime ExpiresAt);
