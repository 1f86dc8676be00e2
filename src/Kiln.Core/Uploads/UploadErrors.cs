using Kiln.Core.Common;

namespace Kiln.Core.Uploads;

/// <summary>The stable error codes of the upload flow (documented for API clients).</summary>
public static class UploadErrors
{
    public static readonly Error LinkClosed = Error.Conflict("upload_closed",
        "This upload link no longer accepts bytes: the upload was completed or deleted. Start a new upload to send another file.");
    public static Error InputChanged(string fileName) => new("input_changed",
        $"The stored bytes of '{fileName}' are not the ones validated when its upload completed, so the job did not run on them. Upload the file again.", ErrorKind.Conflict);

    private static readonly Dictionary<string, ErrorKind> Kinds = new()
    {
        ["upload_too_large"] = ErrorKind.TooLarge,
        ["unsupported_type"] = ErrorKind.UnsupportedType,
        ["empty_file"] = ErrorKind.Unprocessable,
        ["type_mismatch"] = ErrorKind.Unprocessable,
        ["pdf_invalid"] = ErrorKind.Unprocessable,
        ["pdf_encrypted"] = ErrorKind.Unprocessable,
        ["media_invalid"] = ErrorKind.Unprocessable,
        ["upload_incomplete"] = ErrorKind.Conflict,
        ["invalid_file_name"] = ErrorKind.Invalid,
        ["not_found"] = ErrorKind.NotFound,
        ["url_invalid"] = ErrorKind.Invalid,
        ["url_forbidden_address"] = ErrorKind.Unprocessable,
        ["url_fetch_failed"] = ErrorKind.Unprocessable,
        ["url_timeout"] = ErrorKind.Unprocessable,
        ["upload_canceled"] = ErrorKind.Conflict,
        ["too_many_imports"] = ErrorKind.TooManyRequests,
    };

    public static Error TooLargeForPlan(long maxBytes) =>
        new("upload_too_large", $"Your plan accepts files up to {maxBytes / (1024 * 1024)} MiB. Upgrade your plan on the pricing page for larger files.", ErrorKind.TooLarge)
        {
            Extensions = new Dictionary<string, object?> { ["maxBytes"] = maxBytes, ["limit"] = "plan" },
        };

    public static Error TooLarge(long maxBytes) =>
        new("upload_too_large", $"The file is larger than the limit of {maxBytes} bytes.", ErrorKind.TooLarge)
        {
            Extensions = new Dictionary<string, object?> { ["maxBytes"] = maxBytes },
        };

    public static Error UnsupportedType(string extension) =>
        new("unsupported_type", extension.Length == 0
            ? "Files without an extension are not supported."
            : $"'{extension}' files are not supported. Supported: {string.Join(", ", FileTypes.SupportedExtensions)}.", ErrorKind.UnsupportedType);

    public static Error DeletedDuringImport() =>
        new("upload_deleted", "The upload was deleted while its link was being fetched; nothing was kept.", ErrorKind.Conflict);
    public static Error EmptyFile() => new("empty_file", "The file is empty.", ErrorKind.Unprocessable);
    public static Error TypeMismatch(string message) => new("type_mismatch", message, ErrorKind.Unprocessable);
    public static Error PdfInvalid(string message) => new("pdf_invalid", message, ErrorKind.Unprocessable);
    public static Error PdfEncrypted() => new("pdf_encrypted", "The PDF is password-protected; upload an unencrypted copy.", ErrorKind.Unprocessable);
    public static Error MediaInvalid(string message) => new("media_invalid", message, ErrorKind.Unprocessable);
    public static Error Incomplete(string message) => new("upload_incomplete", message, ErrorKind.Conflict);
    public static Error InvalidFileName() => new("invalid_file_name", "The file name is empty or longer than 255 characters.", ErrorKind.Invalid);
    public static Error NotFound() => Error.NotFound("The upload");

    public static Error UrlInvalid(string message) => new("url_invalid", message, ErrorKind.Invalid);

    public static Error UrlForbiddenAddress(string host) =>
        new("url_forbidden_address", $"'{host}' is a private, loopback or otherwise internal address; Kiln only fetches links on the public internet.", ErrorKind.Unprocessable);

    public static Error UrlFetchFailed(string message, int? sourceStatus = null) =>
        new("url_fetch_failed", message, ErrorKind.Unprocessable)
        {
            Extensions = sourceStatus is { } s ? new Dictionary<string, object?> { ["sourceStatus"] = s } : null,
        };

    public static Error UrlTimeout(TimeSpan limit) =>
        UrlTimeout($"Fetching the link took longer than {limit.TotalSeconds:0} seconds; try again, or download the file and upload it.");

    public static Error UrlTimeout(string message) => new("url_timeout", message, ErrorKind.Unprocessable);

    public static Error TooManyImports(int limit) =>
        new("too_many_imports", $"This workspace is already fetching {limit} links; wait for one to finish, then try again.", ErrorKind.TooManyRequests)
        {
            Extensions = new Dictionary<string, object?> { ["limit"] = limit },
        };

    /// <summary>The link worked but answered something that is not one of the supported files (usually a web page).</summary>
    public static Error UnsupportedLink(string? contentType) =>
        new("unsupported_type", (contentType is null ? "The link did not return a supported file" : $"The link returned '{contentType}', not a supported file")
            + $" (supported: {string.Join(", ", FileTypes.SupportedExtensions)}). Link to the file itself, not to a page about it.", ErrorKind.UnsupportedType);

    /// <summary>Rebuilds the error a rejected upload was stored with, so completing it again answers the same way.</summary>
    public static Error FromRejection(string? code, string? message) =>
        new(code ?? "upload_rejected", message ?? "The upload was rejected.", code is not null && Kinds.TryGetValue(code, out var k) ? k : ErrorKind.Unprocessable);
}
