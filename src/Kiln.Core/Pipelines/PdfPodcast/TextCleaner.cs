using System.Text;
using System.Text.RegularExpressions;

namespace Kiln.Core.Pipelines.PdfPodcast;

/// <summary>One line of cleaned text and the page it came from. Empty text marks a paragraph break.</summary>
public sealed record TextLine(int Page, string Text);

/// <summary>
/// Turns pdftotext output into prose: drops running headers/footers and page numbers, re-joins words hyphenated
/// across line (and page) breaks, and normalizes whitespace. Pure, so it is tested on crafted text.
/// </summary>
public static partial class TextCleaner
{
    // Headers and footers live in the first and last few lines of a page.
    private const int EdgeLines = 3;

    /// <param name="pages">Raw text per page.</param>
    /// <param name="firstPage">The page number of <paramref name="pages"/>[0].</param>
    public static IReadOnlyList<TextLine> Clean(IReadOnlyList<string> pages, int firstPage = 1) =>
        Clean(pages.Select((text, i) => (firstPage + i, text)).ToList());

    public static IReadOnlyList<TextLine> Clean(IReadOnlyList<(int Page, string Text)> pages)
    {
        var split = pages.Select(p => (p.Page, Lines: p.Text.Split('\n').Select(NormalizeSpace).ToList())).ToList();
        var repeated = RepeatedEdgeLines(split.Select(p => p.Lines).ToList());

        var lines = new List<TextLine>();
        foreach (var (page, pageLines) in split)
        {
            var nonEmpty = pageLines.Select((l, i) => (l, i)).Where(x => x.l.Length > 0).Select(x => x.i).ToList();
            var edges = Edges(nonEmpty).ToHashSet();
            // A page break is a paragraph break unless de-hyphenation below joins across it.
            if (lines.Count > 0) lines.Add(new TextLine(page, ""));
            for (var i = 0; i < pageLines.Count; i++)
            {
                var text = pageLines[i];
                if (edges.Contains(i) && (IsPageNumber(text) || repeated.Contains(EdgeKey(text)))) continue;
                lines.Add(new TextLine(page, text));
            }
        }
        return CollapseBlankLines(Dehyphenate(lines));
    }

    /// <summary>Joins lines into paragraphs separated by blank lines.</summary>
    public static string ToProse(IEnumerable<TextLine> lines)
    {
        var sb = new StringBuilder();
        var atParagraphStart = true;
        foreach (var line in lines)
        {
            if (line.Text.Length == 0)
            {
                if (!atParagraphStart) sb.Append("\n\n");
                atParagraphStart = true;
                continue;
            }
            if (!atParagraphStart) sb.Append(' ');
            sb.Append(line.Text);
            atParagraphStart = false;
        }
        return sb.ToString().TrimEnd();
    }

    // On short pages most lines are "edge" lines; a third per side keeps body text out of header detection.
    private static IEnumerable<T> Edges<T>(List<T> nonEmpty)
    {
        var n = Math.Min(EdgeLines, Math.Max(1, nonEmpty.Count / 3));
        return nonEmpty.Take(n).Concat(nonEmpty.TakeLast(n));
    }

    internal static bool IsPageNumber(string line) => PageNumber().IsMatch(line);

    // Digits become '#' so "Chapter 2 · 14" and "Chapter 2 · 15" count as the same running footer.
    private static string EdgeKey(string line) => Digits().Replace(line.ToLowerInvariant(), "#");

    private static HashSet<string> RepeatedEdgeLines(List<List<string>> pages)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        if (pages.Count < 2) return result;
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var page in pages)
        {
            var nonEmpty = page.Where(l => l.Length > 0).ToList();
            foreach (var key in Edges(nonEmpty).Select(EdgeKey).Distinct())
                counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        // Half the pages, but at least two: a line seen on one page only is content, however it looks.
        var threshold = Math.Max(2, (int)Math.Ceiling(pages.Count * 0.5));
        foreach (var (key, count) in counts)
            if (count >= threshold && key.Any(char.IsLetterOrDigit)) result.Add(key);
        return result;
    }

    private static List<TextLine> Dehyphenate(List<TextLine> lines)
    {
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i].Text;
            if (line.Length < 2 || line[^1] != '-' || !char.IsLetter(line[^2])) continue;
            // The continuation may sit past a paragraph/page break that the header removal left behind.
            var j = i + 1;
            while (j < lines.Count && lines[j].Text.Length == 0) j++;
            if (j >= lines.Count || j - i > 2) continue;
            var next = lines[j].Text;
            if (!char.IsLower(next[0])) continue;
            var space = next.IndexOf(' ', StringComparison.Ordinal);
            var head = space < 0 ? next : next[..space];
            var rest = space < 0 ? "" : next[(space + 1)..];
            lines[i] = lines[i] with { Text = line[..^1] + head };
            lines[j] = lines[j] with { Text = rest };
            for (var k = i + 1; k < j; k++) lines[k] = lines[k] with { Text = "\u0000" };
        }
        return lines.Where(l => l.Text != "\u0000").ToList();
    }

    private static List<TextLine> CollapseBlankLines(List<TextLine> lines)
    {
        var result = new List<TextLine>(lines.Count);
        foreach (var line in lines)
        {
            if (line.Text.Length == 0 && (result.Count == 0 || result[^1].Text.Length == 0)) continue;
            result.Add(line);
        }
        while (result.Count > 0 && result[^1].Text.Length == 0) result.RemoveAt(result.Count - 1);
        return result;
    }

    private static string NormalizeSpace(string line)
    {
        var sb = new StringBuilder(line.Length);
        foreach (var ch in line)
        {
            // Ligatures and soft hyphens from PDF fonts; control characters carry no text.
            if (ch == '\u00AD') continue;
            if (ch == '\uFB01') { sb.Append("fi"); continue; }
            if (ch == '\uFB02') { sb.Append("fl"); continue; }
            sb.Append(char.IsWhiteSpace(ch) || char.IsControl(ch) ? ' ' : ch);
        }
        return Spaces().Replace(sb.ToString(), " ").Trim();
    }

    [GeneratedRegex(@"^(?:(?:page|p\.)\s*)?[-–—]?\s*(?:\d{1,4}|[ivxlc]{1,7})\s*[-–—]?(?:\s*(?:of|/)\s*\d{1,4})?$", RegexOptions.IgnoreCase)]
    private static partial Regex PageNumber();

    [GeneratedRegex(@"\d+")]
    private static partial Regex Digits();

    [GeneratedRegex(@" {2,}")]
    private static partial Regex Spaces();
}
