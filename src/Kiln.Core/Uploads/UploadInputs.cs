namespace Kiln.Core.Uploads;

/// <summary>What a client declares when it starts an upload (<see cref="CreateUploadCommand"/>).</summary>
public sealed record CreateUploadRequest(string FileName, long Size, string? ContentType);

/// <summary>The ETag the storage returned for each part's PUT; optional when the store can list parts itself.</summary>
public sealed record CompletedPart(int PartNumber, string ETag);
