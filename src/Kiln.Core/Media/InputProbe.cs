using System.Text;
using System.Text.Json;
using Kiln.Core.Pipelines;

namespace Kiln.Core.Media;

/// <summary>
/// Kind (from magic bytes, then extension) and probed metadata of a local file: <c>{"pages": n}</c> for PDFs, the
/// same facts upload validation records, so the CLI hands pipelines the <see cref="InputFacts"/> the worker would.
/// (The CLI trusts the operator's local file; it does not run the upload checks such as <c>qpdf --check</c>.)
/// </summary>
public static class InputProbe
{
    private static readonly byte[] PdfMagic = "%PDF-"u8.ToArray();
    // Some producers put junk before the header; readers accept it within the first kilobyte.
    private const int MagicWindow = 1024;

    public static async Task<InputFacts> ProbeAsync(string path, IPdfTools pdf, CancellationToken ct)
    {
        var info = new FileInfo(path);
        var head = new byte[Math.Min(MagicWindow, info.Length)];
        await using (var stream = info.OpenRead())
            await stream.ReadExactlyAsync(head, ct);

        if (head.AsSpan().IndexOf(PdfMagic) >= 0)
        {
            var pdfInfo = await pdf.GetInfoAsync(path, ct);
            return new InputFacts("pdf", info.Name, info.Length, JsonSerializer.SerializeToElement(new { pages = pdfInfo.Pages }));
        }
        var kind = info.Extension.ToLowerInvariant() switch
        {
            ".txt" or ".md" => "text",
            ".srt" or ".vtt" => "subtitles",
            ".mp3" or ".wav" or ".m4a" or ".ogg" or ".flac" => "audio",
            ".mp4" or ".mkv" or ".webm" or ".mov" => "video",
            _ => IsText(head) ? "text" : "unknown",
        };
        return new InputFacts(kind, info.Name, info.Length, JsonSerializer.SerializeToElement(new { }));
    }

    private static bool IsText(byte[] head)
    {
        try { _ = new UTF8Encoding(false, true).GetString(head); return !head.Contains((byte)0); }
        catch (DecoderFallbackException) { return false; }
    }
}
