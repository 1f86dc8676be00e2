using System.Text.RegularExpressions;
using Kiln.Core.Media;

namespace Kiln.Core.Pipelines.Text;

/// <summary>
/// A chapter of cleaned text. <see cref="Index"/> is the only numbering: <see cref="Title"/> carries no section number of
/// its own ("Introduction", not "1 Introduction"), so "3." is never followed by "1 Acknowledgements".
/// </summary>
public sealed record TextChapter(int Index, string Title, int FirstPage, int LastPage, string Text, IReadOnlyList<TextLine> Lines);

/// <summary>
/// Splits cleaned text into chapters: by the PDF outline when it has entries inside the selection (entries without a
/// resolved page are placed by finding their heading in the text), else by heading-like lines, else into fixed-size
/// chunks. Always returns at least one chapter when there is text.
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

    public static IReadOnlyList<TextChapter> Split(IReadOnlyList<TextLine> lines, IReadOnlyList<PdfOutlineEntry> outline, int maxChapters)
    {
        if (!lines.Any(l => l.Text.Length > 0)) return [];
        var sections = ByOutline(lines, outline) ?? ByHeadings(lines) ?? ByChunks(lines);
        sections = sections.Where(s => s.Lines.Any(l => l.Text.Length > 0)).ToList();
        return Limit(sections, Math.Max(1, maxChapters))
            .Select(s => (Title: CleanTitle(s.Title), s.Lines, Text: DocumentCleaner.ToProse(s.Lines)))
            .Where(s => s.Text.Length > 0)
            .Select((s, i) => new TextChapter(i + 1, s.Title, s.Lines.Min(l => l.Page), s.Lines.Max(l => l.Page), s.Text, s.Lines))
            .ToList();
    }

    /// <summary>"2.1 Methods", "Chapter 3: Utilities", "4. Miscellanea" → "Methods", "Utilities", "Miscellanea".</summary>
    public static string CleanTitle(string title)
    {
        var stripped = TitleNumber().Replace(title.Trim(), "").Trim();
        return stripped.Length > 0 ? stripped : title.Trim();
    }

    internal static bool IsHeading(string line, bool afterBreak)
    {
        if (line.Length is < 3 or > MaxHeadingChars || !line.Any(char.IsLetter)) return false;
        // Identifiers, code and prose fragments are not headings: "IDLE/any", "BZ_PARAM_ERROR", "section 4.9.".
        if (line.IndexOfAny(['_', '/', '(', '=', ';', '*', '<', '{', '@']) >= 0) return false;
        if (NumberedHeading().IsMatch(line)) return true;
        if (!afterBreak || ".,;:!?".Contains(line[^1], StringComparison.Ordinal)) return false;
        if (KeywordHeading().IsMatch(line)) return true;
        // Title-case lines only count at a paragraph start; mid-paragraph they are usually wrapped prose.
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length > MaxHeadingWords) return false;
        // A line in capitals is a heading only with several words ("RECOVERING DATA FROM DAMAGED FILES"), not a constant.
        if (!line.Any(char.IsLower) && words.Length < 2) return false;
        var significant = words.Where(w => !MinorWords.Contains(w) && char.IsLetter(w[0])).ToList();
        return significant.Count > 0 && significant.All(w => char.IsUpper(w[0])) && char.IsUpper(words[0].FirstOrDefault(char.IsLetter));
    }

    private sealed record Section(string Title, List<TextLine> Lines);

    private static List<Section>? ByOutline(IReadOnlyList<TextLine> lines, IReadOnlyList<PdfOutlineEntry> outline)
    {
        if (outline.Count == 0) return null;
        var pages = lines.Select(l => l.Page).ToHashSet();
        // Each entry gets a line index: its heading line when the text has one, else the first line of its page.
        var placed = new List<(PdfOutlineEntry Entry, int Line, bool Heading)>();
        var searchFrom = 0;
        foreach (var entry in outline)
        {
            if (SkippedTitle().IsMatch(entry.Title)) continue;
            var heading = FindHeading(lines, entry, searchFrom);
            if (heading >= 0)
            {
                placed.Add((entry, heading, true));
                searchFrom = heading + 1;
            }
            else if (entry.Page is { } p && pages.Contains(p))
            {
                var first = lines.Select((l, i) => (l, i)).First(x => x.l.Page == p).i;
                placed.Add((entry, first, false));
            }
        }
        if (placed.Count == 0) return null;
        // The shallowest level present gives the chapters, unless it is a single root (the book title) over several parts.
        var levels = placed.Select(p => p.Entry.Level).Distinct().Order().ToList();
        var level = levels[0];
        if (placed.Count(p => p.Entry.Level == level) < 2 && levels.Count > 1 && placed.Count(p => p.Entry.Level == levels[1]) >= 2) level = levels[1];
        var entries = placed.Where(p => p.Entry.Level == level).OrderBy(p => p.Line)
            .GroupBy(p => p.Line).Select(g => g.First()).ToList();

        var sections = new List<Section>();
        for (var i = 0; i < entries.Count; i++)
        {
            var from = i == 0 ? 0 : entries[i].Line;
            var to = i + 1 < entries.Count ? entries[i + 1].Line : lines.Count;
            var body = lines.Skip(from).Take(to - from).Where((l, k) => !(entries[i].Heading && from + k == entries[i].Line)).ToList();
            if (body.Count == 0) body.Add(lines[entries[i].Line] with { Text = "" });
            // The printed heading ("Appendix A Compiler cobc options") reads better than the outline's ("A Compiler…").
            var title = entries[i].Heading ? lines[entries[i].Line].Text : entries[i].Entry.Title;
            sections.Add(new Section(title, body));
        }
        return sections;
    }

    // The heading of an outline entry: a short line equal to its title once numbers and case are set aside.
    private static int FindHeading(IReadOnlyList<TextLine> lines, PdfOutlineEntry entry, int from)
    {
        var key = TitleKey(entry.Title);
        if (key.Length < 3) return -1;
        for (var i = from; i < lines.Count; i++)
        {
            if (entry.Page is { } p && lines[i].Page < p) continue;
            var text = lines[i].Text;
            if (text.Length == 0 || text.Length > entry.Title.Length + 20) continue;
            if (TitleKey(text) == key) return i;
        }
        return -1;
    }

    private static string TitleKey(string title) =>
        NonWord().Replace(AppendixLabel().Replace(CleanTitle(title), "").ToLowerInvariant(), "");

    private sealed record Heading(int Line, int BodyStart, string Title, int? Number);

    private static List<Section>? ByHeadings(IReadOnlyList<TextLine> lines)
    {
        var candidates = new List<Heading>();
        for (var i = 0; i < lines.Count; i++)
        {
            var text = lines[i].Text;
            if (text.Length == 0) continue;
            var afterBreak = i == 0 || lines[i - 1].Text.Length == 0;
            // LaTeX output puts a chapter's number and title on separate lines: "1" / "Definition of CRC".
            if (DocumentCleaner.IsBareNumber(text) && text.All(char.IsDigit) && text.Length <= 2 && Next(lines, i + 1) is { } t
                && t - i <= 2 && IsHeading(lines[t].Text, true) && !char.IsDigit(lines[t].Text[0]) && HasBody(lines, t))
            {
                candidates.Add(new Heading(i, t + 1, $"{text} {lines[t].Text}", int.Parse(text, System.Globalization.CultureInfo.InvariantCulture)));
                i = t;
                continue;
            }
            if (HasBody(lines, i) && IsHeading(text, afterBreak))
                candidates.Add(new Heading(i, i + 1, text, TopNumber(text)));
        }
        // Prefer top-level numbering ("2 Methods") over subsections ("2.1 Data") when there is a run of them, counting
        // 1, 2, 3…: a numbered list item ("2. Modern CPUs have…") breaks the sequence and is left out.
        var topLevel = LongestSequence(candidates.Where(h => h.Number is not null && !SubsectionNumber().IsMatch(h.Title)).ToList());
        var headings = topLevel.Count >= 2 ? topLevel : candidates;
        if (headings.Count < 2) return null;

        var sections = new List<Section>();
        var preamble = lines.Take(headings[0].Line).ToList();
        var carry = DocumentCleaner.ToProse(preamble).Length >= MinPreambleChars ? null : preamble;
        if (carry is null) sections.Add(new Section("Introduction", preamble));
        for (var h = 0; h < headings.Count; h++)
        {
            var end = h + 1 < headings.Count ? headings[h + 1].Line : lines.Count;
            var body = lines.Skip(headings[h].BodyStart).Take(end - headings[h].BodyStart).ToList();
            if (h == 0 && carry is not null) body.InsertRange(0, carry);
            // Keep the heading's page even when its body is empty, so page spans stay right.
            if (body.Count == 0) body.Add(lines[headings[h].Line] with { Text = "" });
            sections.Add(new Section(headings[h].Title, body));
        }
        return sections;
    }

    private static bool HasBody(IReadOnlyList<TextLine> lines, int i) =>
        lines.Skip(i + 1).Where(l => l.Text.Length > 0).Take(3).Any(l => l.Text.Length > MaxHeadingChars / 2);

    private static int? Next(IReadOnlyList<TextLine> lines, int from)
    {
        for (var j = from; j < lines.Count; j++)
            if (lines[j].Text.Length > 0) return j;
        return null;
    }

    private static int? TopNumber(string title)
    {
        var m = LeadingInteger().Match(title);
        return m.Success && NumberedHeading().IsMatch(title) ? int.Parse(m.Value, System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    // The longest chain n, n+1, n+2… in document order (each start tried; chapters rarely exceed a few dozen).
    private static List<Heading> LongestSequence(List<Heading> numbered)
    {
        var best = new List<Heading>();
        for (var s = 0; s < numbered.Count; s++)
        {
            var chain = new List<Heading> { numbered[s] };
            for (var k = s + 1; k < numbered.Count; k++)
                if (numbered[k].Number == chain[^1].Number + 1) chain.Add(numbered[k]);
            if (chain.Count > best.Count) best = chain;
        }
        return best;
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
        // Merge neighbours evenly into exactly max groups; a group keeps its first title because that is where the
        // listener starts.
        return Enumerable.Range(0, max)
            .Select(g => sections.Skip(g * sections.Count / max).Take((g + 1) * sections.Count / max - g * sections.Count / max).ToList())
            .Where(g => g.Count > 0)
            .Select(g => new Section(g[0].Title, g.SelectMany((s, i) => i == 0 ? s.Lines : TitledBody(s)).ToList()))
            .ToList();
    }

    // A merged-in section keeps its title as a paragraph of its own, so the script still sees the structure.
    private static IEnumerable<TextLine> TitledBody(Section s)
    {
        var page = s.Lines[0].Page;
        return new[] { new TextLine(page, ""), new TextLine(page, CleanTitle(s.Title)), new TextLine(page, "") }.Concat(s.Lines);
    }

    [GeneratedRegex(@"^(?:\d{1,2}(?:\.\d{1,2}){0,2}\.?|[IVXLC]{1,5}\.)\s+\p{Lu}[^.!?]*$")]
    private static partial Regex NumberedHeading();

    [GeneratedRegex(@"^\d{1,2}\.\d{1,2}")]
    private static partial Regex SubsectionNumber();

    [GeneratedRegex(@"^(?:chapter|part|appendix)\s+(?:\d{1,3}|[IVXLC]{1,6}|[A-Z])\b", RegexOptions.IgnoreCase)]
    private static partial Regex KeywordHeading();

    // "Chapter 3:", "Section 2.1", "2.1.", "4", "IV." — but "Appendix A" stays, it names the part.
    [GeneratedRegex(@"^(?:(?:chapter|section|part)\s+(?:\d{1,3}(?:\.\d{1,3})*|[IVXLC]{1,6})\s*[:.\-–—]?\s*|\d{1,3}(?:\.\d{1,3})*[.:)]?\s+|[IVXLC]{1,6}[.:)]\s+)", RegexOptions.IgnoreCase)]
    private static partial Regex TitleNumber();

    [GeneratedRegex(@"^(?:(?:table of )?contents|short contents|(?:\w+\s+){0,3}index|list of (?:figures|tables))$", RegexOptions.IgnoreCase)]
    private static partial Regex SkippedTitle();

    [GeneratedRegex(@"^\d+")]
    private static partial Regex LeadingInteger();

    // "Appendix A ", "A " (outline letters of appendices) are set aside when matching outline titles to headings.
    [GeneratedRegex(@"^(?:appendix\s+)?(?:[A-Z][.:]?\s+(?=\p{Lu}))?", RegexOptions.IgnoreCase)]
    private static partial Regex AppendixLabel();

    [GeneratedRegex(@"[^\p{L}\p{N}]+")]
    private static partial Regex NonWord();
}
