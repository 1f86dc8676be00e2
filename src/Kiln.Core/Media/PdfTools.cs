using System.Globalization;
using System.Text.Json;

namespace Kiln.Core.Media;

public sealed record PdfOutlineEntry(string Title, int? Page, int Level);

/// <param name="Title">The document-info title, when the producer set a non-empty one.</param>
public sealed record PdfInfo(int Pages, string? Title);

/// <summary>Reads PDFs through poppler-utils (pdfinfo, pdftotext) and qpdf (outline).</summary>
public interface IPdfTools
{
    Task<PdfInfo> GetInfoAsync(string pdfPath, CancellationToken ct);

    /// <summary>Text of pages <paramref name="firstPage"/>..<paramref name="lastPage"/> (1-based, inclusive), one string per page.</summary>
    Task<IReadOnlyList<string>> ExtractPagesAsync(string pdfPath, int firstPage, int lastPage, CancellationToken ct);

    /// <summary>The bookmarks, flattened depth-first; empty when the PDF has none or qpdf is unavailable.</summary>
    Task<IReadOnlyList<PdfOutlineEntry>> GetOutlineAsync(string pdfPath, CancellationToken ct);
}

public sealed class PdfTools(IProcessRunner runner) : IPdfTools
{
    private const string PopplerHint = "install poppler-utils";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    public async Task<PdfInfo> GetInfoAsync(string pdfPath, CancellationToken ct)
    {
        var result = ToolFailedException.EnsureSuccess(
            await runner.RunAsync(new ProcessSpec("pdfinfo", ["-enc", "UTF-8", pdfPath]) { Timeout = Timeout, InstallHint = PopplerHint }, ct),
            "pdfinfo");
        int? pages = null;
        string? title = null;
        foreach (var line in result.Stdout.Split('\n'))
        {
            if (line.StartsWith("Pages:", StringComparison.Ordinal)
                && int.TryParse(line.AsSpan(6).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var p))
                pages = p;
            else if (line.StartsWith("Title:", StringComparison.Ordinal) && line[6..].Trim() is { Length: > 0 } t)
                title = t;
        }
        return pages is { } n ? new PdfInfo(n, title) : throw new ToolFailedException("pdfinfo", 0, "no page count in pdfinfo output");
    }

    public async Task<IReadOnlyList<string>> ExtractPagesAsync(string pdfPath, int firstPage, int lastPage, CancellationToken ct)
    {
        // Reading order (no -layout) keeps prose of multi-column pages together; -layout pads columns with spaces,
        // which interleaves them line by line. Output goes to a file because whole books exceed the capture cap.
        var outFile = Path.Combine(Path.GetTempPath(), $"kiln-pdftotext-{Guid.NewGuid():N}.txt");
        try
        {
            string[] args = ["-f", Inv(firstPage), "-l", Inv(lastPage), "-enc", "UTF-8", "-eol", "unix", pdfPath, outFile];
            ToolFailedException.EnsureSuccess(
                await runner.RunAsync(new ProcessSpec("pdftotext", args) { Timeout = Timeout, InstallHint = PopplerHint }, ct),
                "pdftotext");
            var text = await File.ReadAllTextAsync(outFile, ct);
            // pdftotext ends every page with a form feed, so the last split element is the empty remainder.
            var pages = text.Split('\f').ToList();
            var expected = lastPage - firstPage + 1;
            if (pages.Count > expected) pages.RemoveRange(expected, pages.Count - expected);
            while (pages.Count < expected) pages.Add("");
            return pages;
        }
        finally
        {
            File.Delete(outFile);
        }
    }

    public async Task<IReadOnlyList<PdfOutlineEntry>> GetOutlineAsync(string pdfPath, CancellationToken ct)
    {
        ProcessResult result;
        try
        {
            result = await runner.RunAsync(
                new ProcessSpec("qpdf", ["--json=2", "--json-key=outlines", pdfPath]) { Timeout = Timeout, InstallHint = "install qpdf" }, ct);
        }
        catch (ToolNotFoundException)
        {
            // The outline only improves chapter titles; heading detection still works without it.
            return [];
        }
        // qpdf exits 3 for warnings on slightly damaged files while still printing usable JSON.
        if (result.ExitCode is not (0 or 3) || result.OutputTruncated) return [];
        try
        {
            using var doc = JsonDocument.Parse(result.Stdout);
            var list = new List<PdfOutlineEntry>();
            if (doc.RootElement.TryGetProperty("outlines", out var outlines)) Flatten(outlines, 0, list);
            return list;
        }
        catch (JsonException)
        {
            return [];
        }
    }

    private static void Flatten(JsonElement items, int level, List<PdfOutlineEntry> into)
    {
        if (items.ValueKind != JsonValueKind.Array) return;
        foreach (var item in items.EnumerateArray())
        {
            var title = item.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() ?? "" : "";
            int? page = item.TryGetProperty("destpageposfrom1", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetInt32() : null;
            if (title.Trim().Length > 0) into.Add(new PdfOutlineEntry(title.Trim(), page, level));
            if (item.TryGetProperty("kids", out var kids)) Flatten(kids, level + 1, into);
        }
    }

    private static string Inv(int n) => n.ToString(CultureInfo.InvariantCulture);
}
