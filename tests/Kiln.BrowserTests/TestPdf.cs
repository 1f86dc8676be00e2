using System.Globalization;

namespace Kiln.BrowserTests;

/// <summary>Book-like PDFs for the browser journeys, written by the shared <see cref="Kiln.Core.Tests.Support.TestPdf"/>.</summary>
public static class TestPdf
{
    public static byte[] Create(int pages, int linesPerPage = 40) =>
        Kiln.Core.Tests.Support.TestPdf.Create(Enumerable.Range(0, pages).Select(p =>
        {
            var lines = Enumerable.Range(1, linesPerPage).Select(l => string.Create(CultureInfo.InvariantCulture,
                $"Page {p + 1} line {l}. Potters shape wet clay, dry it slowly, and fire it in a kiln until it turns hard."));
            return p % 5 == 0 ? $"Chapter {p / 5 + 1}: The craft of firing clay\n" + string.Join('\n', lines) : string.Join('\n', lines);
        }).ToArray());
}
