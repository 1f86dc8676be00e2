using Kiln.Core.Pipelines.Text;

namespace Kiln.Core.Pipelines.PdfPodcast;

/// <summary>
/// The podcast's entry to the shared cleanup in <see cref="DocumentCleaner"/> (Pipelines/Text), kept so existing callers
/// compile unchanged. New code calls <see cref="DocumentCleaner.Clean(IReadOnlyList{ValueTuple{int, string}}, string?)"/>,
/// which also reports the skipped pages.
/// </summary>
public static class TextCleaner
{
    /// <param name="pages">Raw text per page.</param>
    /// <param name="firstPage">The page number of <paramref name="pages"/>[0].</param>
    public static IReadOnlyList<TextLine> Clean(IReadOnlyList<string> pages, int firstPage = 1) =>
        DocumentCleaner.Clean(pages, firstPage).Lines;

    public static IReadOnlyList<TextLine> Clean(IReadOnlyList<(int Page, string Text)> pages) =>
        DocumentCleaner.Clean(pages).Lines;

    /// <summary>Joins lines into paragraphs separated by blank lines.</summary>
    public static string ToProse(IEnumerable<TextLine> lines) => DocumentCleaner.ToProse(lines);
}
