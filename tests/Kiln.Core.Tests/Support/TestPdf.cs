using System.Globalization;
using System.Text;

namespace Kiln.Core.Tests.Support;

/// <summary>
/// Writes small, valid PDFs by hand (Helvetica text objects, correct xref) that pdftotext, pdfinfo and qpdf read.
/// Each page's text is split on '\n' into lines; long lines are wrapped. An empty page string gives a page with
/// no text layer, like a scan.
/// </summary>
public static class TestPdf
{
    private const int LineHeight = 14;
    private const int WrapAt = 90;

    public static byte[] Create(string[] pages, string? title = null, IReadOnlyList<(string Title, int Page)>? outline = null)
    {
        ArgumentOutOfRangeException.ThrowIfZero(pages.Length);
        outline ??= [];
        // Object numbers: 1 catalog, 2 pages tree, 3 font, 4 info, 5 outline root, then per page (page, content), then outline items.
        var firstPageObj = 6;
        var firstOutlineObj = firstPageObj + pages.Length * 2;
        var objects = new SortedDictionary<int, string>();
        var kids = string.Join(' ', Enumerable.Range(0, pages.Length).Select(i => $"{firstPageObj + i * 2} 0 R"));

        objects[1] = outline.Count > 0 ? "<< /Type /Catalog /Pages 2 0 R /Outlines 5 0 R /PageMode /UseOutlines >>" : "<< /Type /Catalog /Pages 2 0 R >>";
        objects[2] = $"<< /Type /Pages /Kids [{kids}] /Count {pages.Length} >>";
        objects[3] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>";
        objects[4] = title is null ? "<< /Producer (Kiln TestPdf) >>" : $"<< /Title ({Escape(title)}) /Producer (Kiln TestPdf) >>";
        objects[5] = outline.Count > 0
            ? $"<< /Type /Outlines /First {firstOutlineObj} 0 R /Last {firstOutlineObj + outline.Count - 1} 0 R /Count {outline.Count} >>"
            : "<< /Type /Outlines /Count 0 >>";

        for (var i = 0; i < pages.Length; i++)
        {
            var pageObj = firstPageObj + i * 2;
            var content = ContentStream(pages[i]);
            objects[pageObj] = $"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents {pageObj + 1} 0 R >>";
            objects[pageObj + 1] = $"<< /Length {Encoding.Latin1.GetByteCount(content)} >>\nstream\n{content}\nendstream";
        }

        for (var i = 0; i < outline.Count; i++)
        {
            var (itemTitle, page) = outline[i];
            if (page < 1 || page > pages.Length) throw new ArgumentOutOfRangeException(nameof(outline), $"Outline page {page} does not exist.");
            var sb = new StringBuilder($"<< /Title ({Escape(itemTitle)}) /Parent 5 0 R /Dest [{firstPageObj + (page - 1) * 2} 0 R /Fit]");
            if (i > 0) sb.Append(CultureInfo.InvariantCulture, $" /Prev {firstOutlineObj + i - 1} 0 R");
            if (i < outline.Count - 1) sb.Append(CultureInfo.InvariantCulture, $" /Next {firstOutlineObj + i + 1} 0 R");
            objects[firstOutlineObj + i] = sb.Append(" >>").ToString();
        }

        var pdf = new StringBuilder("%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n");
        var offsets = new int[objects.Count + 1];
        foreach (var (num, body) in objects)
        {
            offsets[num] = Encoding.Latin1.GetByteCount(pdf.ToString());
            pdf.Append(CultureInfo.InvariantCulture, $"{num} 0 obj\n{body}\nendobj\n");
        }
        var xref = Encoding.Latin1.GetByteCount(pdf.ToString());
        pdf.Append(CultureInfo.InvariantCulture, $"xref\n0 {objects.Count + 1}\n0000000000 65535 f\r\n");
        for (var n = 1; n <= objects.Count; n++) pdf.Append(CultureInfo.InvariantCulture, $"{offsets[n]:D10} 00000 n\r\n");
        pdf.Append(CultureInfo.InvariantCulture, $"trailer\n<< /Size {objects.Count + 1} /Root 1 0 R /Info 4 0 R >>\nstartxref\n{xref}\n%%EOF\n");
        return Encoding.Latin1.GetBytes(pdf.ToString());
    }

    /// <summary>Writes the PDF to <paramref name="path"/> and returns the path.</summary>
    public static string Write(string path, string[] pages, string? title = null, IReadOnlyList<(string Title, int Page)>? outline = null)
    {
        File.WriteAllBytes(path, Create(pages, title, outline));
        return path;
    }

    private static string ContentStream(string text)
    {
        var lines = text.Length == 0 ? [] : text.Split('\n').SelectMany(Wrap).ToList();
        if (lines.Count == 0) return "";
        var sb = new StringBuilder().Append(CultureInfo.InvariantCulture, $"BT\n/F1 11 Tf\n{LineHeight} TL\n72 740 Td\n");
        foreach (var line in lines) sb.Append('(').Append(Escape(line)).Append(") Tj T*\n");
        return sb.Append("ET").ToString();
    }

    private static IEnumerable<string> Wrap(string line)
    {
        if (line.Length <= WrapAt) { yield return line; yield break; }
        var current = new StringBuilder();
        foreach (var word in line.Split(' '))
        {
            if (current.Length > 0 && current.Length + word.Length + 1 > WrapAt) { yield return current.ToString(); current.Clear(); }
            if (current.Length > 0) current.Append(' ');
            current.Append(word);
        }
        if (current.Length > 0) yield return current.ToString();
    }

    // Outside Latin-1 becomes '?': WinAnsi cannot encode it, and tests only need readable ASCII.
    private static string Escape(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var ch in s)
        {
            if (ch is '\\' or '(' or ')') sb.Append('\\');
            sb.Append(ch > '\u00ff' ? '?' : ch);
        }
        return sb.ToString();
    }
}
