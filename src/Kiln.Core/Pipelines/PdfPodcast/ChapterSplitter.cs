using System.Text.RegularExpressions;
using Kiln.Core.Media;

namespace Kiln.Core.Pipelines.PdfPodcast;

public sealed record Chapter(int Index, string Title, int FirstPage, int LastPage, string Text);

/// <summary>
/// Splits cleaned text into chapters: by the PDF outline when it has entries inside the selection, else by
/// heading-like lines, else into fixed-size chunks. Always returns at least one chapter when there is text.
/// </summary>
public static partial class ChapterSplitter
{
    /// <summary>Target chunk size for documents without structure; about five minutes of speech.</summary>
    public const int ChunkChars = 6000;
    private const int MaxHeadingChars = 70;
    private const int MaxHeadingWords = 9;
    // Text ahead of the first heading shorter than this is a title page or abstract stub, not its own chapter.
    private const int MinPreambleChars = 300;

    private static readonly HashSet<string> MinorWords = new(StringComparer.OrdinalIgnoreCase)
    { "a", "an", "the", "and", "or", "of", "in", "on", "to", "for", "with", "at", "by", "from", "vs", "as", "is", "into" };

    public static IReadOnlyList<Chapter> Split(IReadOnlyList<TextLine> lines, IReadOnlyList<PdfOutlineEntry> outline, int maxChapters)
    {
        if (!lines.Any(l => l.Text.Length > 0)) return [];
        var sections = ByOutline(lines, outline) ?? ByHeadings(lines) ?? ByChunks(lines);
        sections = sections.Where(s => s.Lines.Any(l => l.Text.Length > 0)).ToList();
        return Limit(sections, Math.Max(1, maxChapters))
            .Select((s, i) => new Chapter(i + 1, s.Title, s.Lines.Min(l => l.Page), s.Lines.Max(l => l.Page), TextCleaner.ToProse(s.Lines)))
            .Where(c => c.Text.Length > 0)
            .Select((c, i) => c with { Index = i + 1 })
            .ToList();
    }

    internal static bool IsHeading(string line, bool afterBreak)
    {
        if (line.Length is < 3 or > MaxHeadingChars || !line.Any(char.IsLetter)) return false;
        if (NumberedHeading().IsMatch(line) || KeywordHeading().IsMatch(line)) return true;
        // Title-case lines only count at a paragraph start; mid-paragraph they are usually wrapped prose.
        if (!afterBreak || ".,;:!?".Contains(line[^1], StringComparison.Ordinal)) return false;
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length > MaxHeadingWords) return false;
        var significant = words.Where(w => !MinorWords.Contains(w) && char.IsLetter(w[0])).ToList();
        return significant.Count > 0 && significant.All(w => char.IsUpper(w[0])) && char.IsUpper(words[0].FirstOrDefault(char.IsLetter));
    }

    private sealed record Section(string Title, List<TextLine> Lines);

    private static List<Section>? ByOutline(IReadOnlyList<TextLine> lines, IReadOnlyList<PdfOutlineEntry> outline)
    {
        var pages = lines.Select(l => l.Page).ToHashSet();
        var usable = outline.Where(o => o.Page is { } p && pages.Contains(p)).ToList();
        if (usable.Count == 0) return null;
        // The shallowest level present inside the selection gives the chapters; deeper levels are sections.
        var level = usable.Min(o => o.Level);
        var entries = usable.Where(o => o.Level == level)
            .GroupBy(o => o.Page!.Value).Select(g => g.First()).OrderBy(o => o.Page).ToList();
        var sections = new List<Section>();
        for (var i = 0; i < entries.Count; i++)
        {
            var from = entries[i].Page!.Value;
            var to = i + 1 < entries.Count ? entries[i + 1].Page!.Value : int.MaxValue;
            var body = lines.Where(l => l.Page >= (i == 0 ? int.MinValue : from) && l.Page < to).ToList();
            sections.Add(new Section(entries[i].Title, body));
        }
        return sections;
    }

    private static List<Section>? ByHeadings(IReadOnlyList<TextLine> lines)
    {
        var candidates = new List<int>();
        for (var i = 0; i < lines.Count; i++)
        {
            var afterBreak = i == 0 || lines[i - 1].Text.Length == 0;
            var hasBody = i + 1 < lines.Count && lines.Skip(i + 1).Take(3).Any(l => l.Text.Length > MaxHeadingChars / 2);
            if (lines[i].Text.Length > 0 && hasBody && IsHeading(lines[i].Text, afterBreak)) candidates.Add(i);
        }
        // Prefer top-level numbering ("2 Methods") over subsections ("2.1 Data") when there are enough of them.
        var topLevel = candidates.Where(i => !SubsectionNumber().IsMatch(lines[i].Text)).ToList();
        var headings = topLevel.Count >= 2 ? topLevel : candidates;
        if (headings.Count < 2) return null;

        var sections = new List<Section>();
        var preamble = lines.Take(headings[0]).ToList();
        var carry = TextCleaner.ToProse(preamble).Length >= MinPreambleChars ? null : preamble;
        if (carry is null) sections.Add(new Section("Introduction", preamble));
        for (var h = 0; h < headings.Count; h++)
        {
            var end = h + 1 < headings.Count ? headings[h + 1] : lines.Count;
            var body = lines.Skip(headings[h] + 1).Take(end - headings[h] - 1).ToList();
            if (h == 0 && carry is not null) body.InsertRange(0, carry);
            // Keep the heading's page even when its body is empty, so page spans stay right.
            if (body.Count == 0) body.Add(lines[headings[h]] with { Text = "" });
            sections.Add(new Section(lines[headings[h]].Text, body));
        }
        return sections;
    }

    private static List<Section> ByChunks(IReadOnlyList<TextLine> lines)
    {
        var sections = new List<Section>();
        var current = new List<TextLine>();
        var size = 0;
        foreach (var line in lines)
        {
            current.Add(line);
            size += line.Text.Length + 1;
            // Cut at paragraph breaks only, so no sentence is split between chapters.
            if (size >= ChunkChars && line.Text.Length == 0)
            {
                sections.Add(new Section($"Part {sections.Count + 1}", current));
                current = [];
                size = 0;
            }
        }
        if (current.Any(l => l.Text.Length > 0)) sections.Add(new Section($"Part {sections.Count + 1}", current));
        if (sections.Count == 1) sections[0] = sections[0] with { Title = "Overview" };
        return sections;
    }

    private static List<Section> Limit(List<Section> sections, int max)
    {
        if (sections.Count <= max) return sections;
        // Merge neighbours evenly; the group keeps its first title because that is where the listener starts.
        var groupSize = (int)Math.Ceiling(sections.Count / (double)max);
        return sections.Chunk(groupSize)
            .Select(g => new Section(g[0].Title, g.SelectMany((s, i) => i == 0 ? s.Lines : TitledBody(s)).ToList()))
            .ToList();
    }

    // A merged-in section keeps its title as a paragraph of its own, so the script still sees the structure.
    private static IEnumerable<TextLine> TitledBody(Section s)
    {
        var page = s.Lines[0].Page;
        return new[] { new TextLine(page, ""), new TextLine(page, s.Title), new TextLine(page, "") }.Concat(s.Lines);
    }

    [GeneratedRegex(@"^(?:\d{1,2}(?:\.\d{1,2}){0,2}\.?|[IVXLC]{1,5}\.)\s+\p{Lu}[^.!?]*$")]
    private static partial Regex NumberedHeading();

    [GeneratedRegex(@"^\d{1,2}\.\d{1,2}")]
    private static partial Regex SubsectionNumber();

    [GeneratedRegex(@"^(?:chapter|part|section|appendix)\s+(?:\d{1,3}|[IVXLC]{1,6}|[A-Z])\b", RegexOptions.IgnoreCase)]
    private static partial Regex KeywordHeading();
}
