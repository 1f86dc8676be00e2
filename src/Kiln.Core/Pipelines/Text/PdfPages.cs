using Kiln.Core.Media;
using Kiln.Core.Pipelines.PdfPodcast;

namespace Kiln.Core.Pipelines.Text;

/// <summary>
/// The extract step every PDF pipeline shares: the selected pages' text (progress per range), the document title, and
/// the failures a user understands — an unreadable PDF, a page range outside the document, a scan with no text layer.
/// </summary>
public static class PdfPages
{
    // Fewer letters than this across the whole selection means there is no text layer (a scan) rather than a short text.
    private const int MinLetters = 20;

    public static async Task<(string Title, IReadOnlyList<(int Page, string Text)> Pages)> ExtractAsync(
        IPdfTools pdf, PipelineInput input, string? pageSpec, ProgressStep step, CancellationToken ct)
    {
        await step.StartAsync("Reading the PDF", ct);
        var pages = new List<(int Page, string Text)>();
        PdfInfo info;
        try
        {
            info = await pdf.GetInfoAsync(input.Path, ct);
            var selected = PageRange.Parse(pageSpec, input.Facts.Pdf is { Pages: > 0 } f ? f.Pages : info.Pages);
            if (!selected.IsSuccess) throw new PipelineException(selected.Error!.Code, selected.Error.Message);
            var selection = selected.Value!;
            foreach (var (first, last) in selection.Ranges)
            {
                var texts = await pdf.ExtractPagesAsync(input.Path, first, last, ct);
                pages.AddRange(texts.Select((t, i) => (first + i, t)));
                await step.ReportAsync(pages.Count, selection.Count, $"Extracted {pages.Count} of {selection.Count} pages", ct);
            }
        }
        catch (ToolFailedException ex)
        {
            throw new PipelineException("pdf_unreadable", "This PDF could not be read; it may be damaged or password-protected.", inner: ex);
        }
        if (pages.Sum(p => p.Text.Count(char.IsLetter)) < MinLetters)
            throw new PipelineException("no_text", "This PDF has no extractable text (is it a scan?). Run it through OCR first, then upload it again.");
        return (info.Title ?? Path.GetFileNameWithoutExtension(input.FileName), pages);
    }
}
