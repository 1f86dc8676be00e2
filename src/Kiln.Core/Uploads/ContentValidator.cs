using Kiln.Core.Common;

namespace Kiln.Core.Uploads;

/// <summary>
/// The checks every input file gets, whether it arrived as an upload (<see cref="UploadValidator"/>) or is a local file
/// handed to <c>kiln run</c>: a supported extension, not empty, bytes that are what the name claims (magic bytes), and
/// the family's inspector — qpdf (encryption, structure) and pdfinfo for PDFs, ffprobe for media, strict UTF-8 for text.
/// What it returns is what pipelines are planned and run with.
/// </summary>
public sealed class ContentValidator(PdfInspector pdf, MediaInspector media)
{
    /// <param name="path">A local file the tools can read.</param>
    /// <param name="fileName">The name the file is known by; its extension decides how it is checked.</param>
    public async Task<Result<ValidatedContent>> ValidateFileAsync(string path, string fileName, CancellationToken ct)
    {
        var extension = Path.GetExtension(fileName);
        if (!FileTypes.TryGet(fileName, out var family, out _)) return UploadErrors.UnsupportedType(extension);
        var size = new FileInfo(path).Length;
        if (size == 0) return UploadErrors.EmptyFile();

        var container = await SniffAsync(path, ct);
        var result = family switch
        {
            FileFamily.Pdf => container == Container.Pdf
                ? await pdf.InspectAsync(path, ct)
                : UploadErrors.TypeMismatch($"'{fileName}' is named like a PDF but is not one."),
            FileFamily.Image => container is Container.Png or Container.Jpeg
                ? await ImageInspector.InspectAsync(path, container, ct)
                : UploadErrors.TypeMismatch($"'{fileName}' is named like a {extension} image but is not a JPEG or PNG file."),
            FileFamily.Media => ContentSniffer.IsMedia(container)
                ? await media.InspectAsync(path, container, ct)
                : UploadErrors.TypeMismatch($"'{fileName}' is named like {extension} media but is not an audio or video file."),
            _ => container != Container.Unknown
                ? UploadErrors.TypeMismatch($"'{fileName}' is named like text but is a binary file.")
                : await InspectTextAsync(path, family, extension, ct),
        };
        return result.IsSuccess ? result.Value! with { Size = size } : result;
    }

    private static async Task<Container> SniffAsync(string path, CancellationToken ct)
    {
        var head = new byte[ContentSniffer.HeaderLength];
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 4096, FileOptions.Asynchronous);
        var read = await file.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, ct);
        return ContentSniffer.Detect(head.AsSpan(0, read));
    }

    private static async Task<Result<ValidatedContent>> InspectTextAsync(string path, FileFamily family, string extension, CancellationToken ct)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 16384, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return await TextInspector.InspectAsync(file, family, extension, ct);
    }
}
