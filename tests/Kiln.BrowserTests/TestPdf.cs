using System.Globalization;
using System.Text;

namespace Kiln.BrowserTests;

/// <summary>Writes a small valid PDF with real text (correct xref offsets, so qpdf and pdfinfo accept it).</summary>
public static class TestPdf
{
    public static byte[] Create(int pages, int linesPerPage = 40)
    {
        var objects = new List<string>
        {
            "<< /Type /Catalog /Pages 2 0 R >>",
            "", // pages, filled below
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        };
        var kids = new List<int>();
        for (var p = 0; p < pages; p++)
        {
            var content = new StringBuilder("BT /F1 11 Tf 50 780 Td 14 TL\n");
            if (p % 5 == 0) content.Append(CultureInfo.InvariantCulture, $"(Chapter {p / 5 + 1}: The craft of firing clay) Tj T*\n");
            for (var l = 0; l < linesPerPage; l++)
                content.Append(CultureInfo.InvariantCulture, $"(Page {p + 1} line {l + 1}. Potters shape wet clay, dry it slowly, and fire it in a kiln until it turns hard.) Tj T*\n");
            content.Append("ET");
            var body = content.ToString();
            objects.Add($"<< /Length {Encoding.ASCII.GetByteCount(body)} >>\nstream\n{body}\nendstream");
            var contentId = objects.Count;
            objects.Add($"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] /Resources << /Font << /F1 3 0 R >> >> /Contents {contentId} 0 R >>");
            kids.Add(objects.Count);
        }
        objects[1] = $"<< /Type /Pages /Kids [{string.Join(' ', kids.Select(k => $"{k} 0 R"))}] /Count {pages} >>";

        var sb = new StringBuilder("%PDF-1.4\n");
        var offsets = new List<int>();
        for (var i = 0; i < objects.Count; i++)
        {
            offsets.Add(Encoding.ASCII.GetByteCount(sb.ToString()));
            sb.Append(CultureInfo.InvariantCulture, $"{i + 1} 0 obj\n{objects[i]}\nendobj\n");
        }
        var xref = Encoding.ASCII.GetByteCount(sb.ToString());
        sb.Append(CultureInfo.InvariantCulture, $"xref\n0 {objects.Count + 1}\n0000000000 65535 f \n");
        foreach (var o in offsets) sb.Append(CultureInfo.InvariantCulture, $"{o:D10} 00000 n \n");
        sb.Append(CultureInfo.InvariantCulture, $"trailer\n<< /Size {objects.Count + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n");
        return Encoding.ASCII.GetBytes(sb.ToString());
    }
}
