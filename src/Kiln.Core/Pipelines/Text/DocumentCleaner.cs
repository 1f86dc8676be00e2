using System.Text;
using System.Text.RegularExpressions;

namespace Kiln.Core.Pipelines.Text;

/// <summary>One line of cleaned text and the page it came from. Empty text marks a paragraph break.</summary>
public sealed record TextLine(int Page, string Text);

/// <summary>Why a whole page was left out.</summary>
public enum SkipReason { FrontMatter, Contents, Index, Licence }

public sealed record SkippedPage(int Page, SkipReason Reason);

/// <summary>The text a listener should hear, and the pages that were left out.</summary>
public sealed record CleanedDocument(IReadOnlyList<TextLine> Lines, IReadOnlyList<SkippedPage> Skipped);

/// <summary>
/// Turns pdftotext output (one string per page, reading order) into text worth reading aloud; shared by pdf-podcast and
/// pdf-audiobook. Whole pages: title and copyright pages in the front matter, tables of contents, indexes, and licence
/// text in the front or back matter (kept when the document itself is a licence). Lines: running headers and footers,
/// page numbers, TOC lines with dot leaders, footnote markers and footnote bodies; words hyphenated across lines are
/// re-joined; tables and code listings are replaced by a short spoken notice (see <see cref="IsNotice"/>). Pure, so every
/// rule is tested on excerpts of real PDFs.
/// </summary>
public static partial class DocumentCleaner
{
    // Headers and footers live in the first and last few lines of a page.
    private const int EdgeLines = 3;
    // Front matter is looked for in the first pages only: a title page or copyright notice later on is content.
    private const int MaxFrontMatterPages = 8;
    private const int MinTableLines = 5;
    private const int MinCodeLines = 4;

    public const string TableNotice = "A table is skipped here.";
    public const string CodeNotice = "A code example is skipped here.";

    /// <param name="pages">Raw text per page, with its 1-based page number.</param>
    /// <param name="title">The document title, when known: a document titled as a licence keeps its licence text.</param>
    public static CleanedDocument Clean(IReadOnlyList<(int Page, string Text)> pages, string? title = null)
    {
        var split = pages.Select(p => (p.Page, Lines: p.Text.Split('\n').Select(NormalizeSpace).ToList())).ToList();
        var repeated = RepeatedEdgeLines(split.Select(p => p.Lines).ToList());
        var skipped = ClassifyPages(split, title);
        var skippedPages = skipped.Select(s => s.Page).ToHashSet();

        var lines = new List<TextLine>();
        foreach (var (page, raw) in split)
        {
            if (skippedPages.Contains(page)) continue;
            var nonEmpty = raw.Select((l, i) => (l, i)).Where(x => x.l.Length > 0).Select(x => x.i).ToList();
            var edges = Edges(nonEmpty).ToHashSet();
            var kept = new List<string>();
            for (var i = 0; i < raw.Count; i++)
            {
                var text = raw[i];
                if (edges.Contains(i) && (IsPageNumber(text) || repeated.Contains(EdgeKey(text)))) continue;
                kept.Add(text);
            }
            kept = DropTocLines(kept);
            kept = DropFootnotes(kept);
            kept = ReplaceTablesAndCode(kept);
            // A page break is a paragraph break unless de-hyphenation below joins across it.
            if (lines.Count > 0) lines.Add(new TextLine(page, ""));
            lines.AddRange(kept.Select(t => new TextLine(page, t)));
        }
        return new CleanedDocument(CollapseBlankLines(Dehyphenate(lines)), skipped);
    }

    public static CleanedDocument Clean(IReadOnlyList<string> pages, int firstPage = 1, string? title = null) =>
        Clean(pages.Select((text, i) => (firstPage + i, text)).ToList(), title);

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

    /// <summary>True for the spoken notices that replace tables, figures and code; a summarizer should not quote them.</summary>
    public static bool IsNotice(string sentence) =>
        sentence == TableNotice || sentence == CodeNotice || NoticeSentence().IsMatch(sentence);

    internal static bool IsPageNumber(string line) => PageNumber().IsMatch(line);

    /// <summary>A table-of-contents or index line: an entry, dot leaders (or a wide gap) and a page number.</summary>
    internal static bool IsTocLine(string line) => DotLeaderLine().IsMatch(line) || OnlyDotLeaders().IsMatch(line);

    internal static bool IsLicenceText(string text) => LicencePhrase().Count(text) >= 2 || LicenceHeading().IsMatch(text.TrimStart());

    // ---- whole pages ------------------------------------------------------------------------------------------------

    private static List<SkippedPage> ClassifyPages(List<(int Page, List<string> Lines)> pages, string? title)
    {
        var result = new List<SkippedPage>();
        var licencePages = pages.Where(p => LicencePhrase().Count(string.Join('\n', p.Lines)) >= 2).Select(p => p.Page).ToHashSet();
        // A document about a licence (the GPL itself, a licensing guide) keeps its subject.
        var aboutLicence = (title is not null && LicenceTitle().IsMatch(title)) || licencePages.Count * 2 > pages.Count;

        var bodyStarted = false;
        var inBackLicence = false;
        for (var i = 0; i < pages.Count; i++)
        {
            var (page, lines) = pages[i];
            var nonEmpty = lines.Where(l => l.Length > 0).ToList();
            var text = string.Join('\n', nonEmpty);
            var head = string.Join(' ', nonEmpty.Take(4));
            SkipReason? reason = null;

            if (IsContentsPage(nonEmpty, head) && !StartsWithChapterHeading(nonEmpty)) reason = SkipReason.Contents;
            else if (IsIndexPage(nonEmpty, head)) reason = SkipReason.Index;
            else if (!aboutLicence && i < Math.Min(MaxFrontMatterPages, Math.Max(2, pages.Count / 4))
                     && (licencePages.Contains(page) || (CopyrightNotice().IsMatch(text) && nonEmpty.Count < 25)))
                reason = SkipReason.FrontMatter;
            else if (!bodyStarted && i <= 1 && pages.Count >= MaxFrontMatterPages && IsTitlePage(nonEmpty))
                reason = SkipReason.FrontMatter;
            else if (!aboutLicence && bodyStarted && i >= pages.Count / 2)
            {
                // Back matter: a licence section starts at a licence heading and runs until a page that is no licence text.
                if (nonEmpty.Take(6).Any(l => LicenceHeading().IsMatch(l)) || licencePages.Contains(page)) inBackLicence = true;
                else if (inBackLicence && LicencePhrase().Count(text) == 0 && !LicenceWords().IsMatch(text)) inBackLicence = false;
                if (inBackLicence) reason = SkipReason.Licence;
            }

            if (reason is { } r) result.Add(new SkippedPage(page, r));
            else if (nonEmpty.Count > 0) bodyStarted = true;
        }
        return result;
    }

    private static bool IsContentsPage(List<string> lines, string head)
    {
        if (lines.Count == 0) return false;
        var toc = lines.Count(IsTocLine);
        if (ContentsHeading().IsMatch(head) && toc >= 2 && toc * 2 >= lines.Count) return true;
        // A continuation page has no heading but is mostly entries with leaders.
        return toc >= 4 && toc * 3 >= lines.Count;
    }

    // A chapter's own mini contents ("3. Programming with libbzip2" / "Table of Contents" / entries) keeps its heading:
    // such pages are cleaned line by line instead of skipped.
    private static bool StartsWithChapterHeading(List<string> lines)
    {
        var first = lines.FirstOrDefault(l => !IsPageNumber(l));
        return first is not null && !ContentsHeading().IsMatch(first) && !IsTocLine(first) && IsTitleLike(first)
            && lines.SkipWhile(l => l != first).Skip(1).Take(2).Any(l => ContentsHeading().IsMatch(l));
    }

    private static bool IsIndexPage(List<string> lines, string head)
    {
        if (lines.Count < 4) return false;
        var entries = lines.Count(l => IsTocLine(l) || IndexEntry().IsMatch(l));
        if (IndexHeading().IsMatch(head) && entries * 3 >= lines.Count) return true;
        return entries >= 8 && entries * 2 >= lines.Count && lines.Count(IsTocLine) * 3 < entries;
    }

    // A title page: a few short lines and no paragraph of prose.
    private static bool IsTitlePage(List<string> lines)
    {
        if (lines.Count == 0) return true;
        var words = lines.Sum(l => l.Split(' ').Length);
        return words < 60 && lines.Count(l => l.Length > 70) < 2;
    }

    // ---- lines ------------------------------------------------------------------------------------------------------

    /// <summary>
    /// Drops table-of-contents lines: entries with dot leaders (with or without their page number), and, inside a
    /// contents block, the entries and bare page numbers LaTeX puts on lines of their own. A block ends at prose, or at a
    /// bare chapter number followed by its title and prose ("1" / "Definition of CRC" / "Cyclic Redundancy…").
    /// </summary>
    private static List<string> DropTocLines(List<string> lines)
    {
        var result = new List<string>(lines.Count);
        var inToc = false;
        // Whether the last non-empty line was kept (an entry dropped already must not take the line above it along).
        int lastSeen = -1, lastKept = -1;
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            if (line.Length == 0) { result.Add(line); continue; }
            var keptLast = lastSeen >= 0 && lastSeen == lastKept;
            lastSeen = i;
            if (ContentsHeading().IsMatch(line) && line.Length < 30 && lines.Skip(i + 1).Take(8).Any(l => IsTocLine(l) || IsBareNumber(l)))
            {
                inToc = true;
                continue;
            }
            if (OnlyDotLeaders().IsMatch(line))
            {
                // pdftotext sometimes puts an entry's leaders on a line of their own: the entry above goes too.
                var prev = result.FindLastIndex(l => l.Length > 0);
                if (prev >= 0 && keptLast && result[prev].Length < 90) result.RemoveAt(prev);
                inToc = true;
                continue;
            }
            if (IsTocLine(line) || TrailingLeaders().IsMatch(line))
            {
                inToc = true;
                continue;
            }
            if (inToc)
            {
                var next = NextNonEmpty(lines, i + 1);
                if (IsBareNumber(line) || SectionNumberOnly().IsMatch(line))
                {
                    var after = next is { } n ? NextNonEmpty(lines, n + 1) : null;
                    if (next is { } t && IsTitleLike(lines[t]) && after is { } a && lines[a].Length > 50)
                    {
                        inToc = false;
                        lastKept = i;
                        result.Add(line);
                    }
                    continue;
                }
                if (IsTitleLike(line) && next is { } nx && (IsTocLine(lines[nx]) || TrailingLeaders().IsMatch(lines[nx]) || IsBareNumber(lines[nx]) || OnlyDotLeaders().IsMatch(lines[nx])))
                    continue;
                inToc = false;
            }
            lastKept = i;
            result.Add(DotRun().Replace(line, " ").Trim());
        }
        return result;
    }

    private static int? NextNonEmpty(List<string> lines, int from)
    {
        for (var j = from; j < lines.Count; j++)
            if (lines[j].Length > 0) return j;
        return null;
    }

    internal static bool IsBareNumber(string line) => BareNumber().IsMatch(line);

    private static bool IsTitleLike(string line) =>
        line.Length is > 0 and <= 80 && !".;,".Contains(line[^1], StringComparison.Ordinal) && (char.IsUpper(line[0]) || char.IsDigit(line[0]));

    /// <summary>
    /// Removes footnote markers glued to punctuation ("area.3 The") or written as superscripts, and the footnote bodies at
    /// the foot of the page that those markers point to.
    /// </summary>
    private static List<string> DropFootnotes(List<string> lines)
    {
        var markers = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<string>(lines.Count);
        foreach (var line in lines)
        {
            var cleaned = GluedMarker().Replace(line, m => { markers.Add(m.Groups[1].Value); return ""; });
            cleaned = Superscripts().Replace(cleaned, m => { markers.Add(FromSuperscript(m.Value)); return ""; });
            cleaned = BracketReference().Replace(cleaned, "");
            result.Add(cleaned);
        }
        if (markers.Count == 0) return result;
        // Bodies: from the first bottom line that is a marker ("2", "2 The extension…") to the end of the page.
        var nonEmpty = result.Select((l, i) => (l, i)).Where(x => x.l.Length > 0).ToList();
        var cut = -1;
        for (var k = nonEmpty.Count - 1; k >= Math.Max(1, nonEmpty.Count - 3 * markers.Count - 2); k--)
        {
            var m = FootnoteStart().Match(nonEmpty[k].l);
            if (m.Success && markers.Contains(m.Groups[1].Value)) cut = nonEmpty[k].i;
        }
        return cut < 0 ? result : result.Take(cut).ToList();
    }

    /// <summary>Runs of short cell-like lines become <see cref="TableNotice"/>; runs of source code become <see cref="CodeNotice"/>.</summary>
    private static List<string> ReplaceTablesAndCode(List<string> lines)
    {
        var result = new List<string>(lines.Count);
        var i = 0;
        while (i < lines.Count)
        {
            var code = Run(lines, i, IsCodeLine);
            if (code.Count >= MinCodeLines)
            {
                AddNotice(result, CodeNotice);
                i += code.Span;
                continue;
            }
            var cells = Run(lines, i, IsCellLine);
            if (cells.Count >= MinTableLines && lines.Skip(i).Take(cells.Span).Count(l => l.Any(char.IsDigit)) * 3 >= cells.Count)
            {
                AddNotice(result, TableNotice);
                i += cells.Span;
                continue;
            }
            var caption = Caption().Match(lines[i]);
            if (caption.Success && caption.Groups["kind"].Value.StartsWith("Fig", StringComparison.OrdinalIgnoreCase))
            {
                AddNotice(result, $"Figure {caption.Groups["n"].Value} is not read aloud; its caption says: {caption.Groups["rest"].Value.Trim()}");
                i++;
                continue;
            }
            result.Add(lines[i]);
            i++;
        }
        return result;
    }

    private static void AddNotice(List<string> result, string notice)
    {
        if (result.Count > 0 && result[^1].Length > 0) result.Add("");
        result.Add(notice);
        result.Add("");
    }

    // Counts matching lines from start (blank lines inside a run do not end it) and the span up to the last match.
    private static (int Count, int Span) Run(List<string> lines, int start, Func<string, bool> predicate)
    {
        if (start >= lines.Count || lines[start].Length == 0 || !predicate(lines[start])) return (0, 0);
        var n = 0;
        var last = start;
        for (var j = start; j < lines.Count && (lines[j].Length == 0 || predicate(lines[j])); j++)
        {
            if (lines[j].Length == 0) continue;
            n++;
            last = j;
        }
        return (n, last - start + 1);
    }

    internal static bool IsCodeLine(string line)
    {
        if (line.Length == 0) return false;
        if (CodeLine().IsMatch(line)) return true;
        var symbols = line.Count(c => "{}();=<>*&|[]#/\\".Contains(c, StringComparison.Ordinal));
        return symbols >= 3 && symbols * 8 >= line.Length && !line.EndsWith('.');
    }

    // A table cell: short, not a sentence, not a bullet.
    private static bool IsCellLine(string line) =>
        line.Length is > 0 and <= 28 && !".:;!?".Contains(line[^1], StringComparison.Ordinal) && !line.StartsWith('•')
        && line.Split(' ').Length <= 4;

    // Digits become '#' so "Chapter 2 · 14" and "Chapter 2 · 15" count as the same running footer.
    private static string EdgeKey(string line) => Digits().Replace(line.ToLowerInvariant(), "#");

    // On short pages most lines are "edge" lines; a third per side keeps body text out of header detection.
    private static IEnumerable<T> Edges<T>(List<T> nonEmpty)
    {
        var n = Math.Min(EdgeLines, Math.Max(1, nonEmpty.Count / 3));
        return nonEmpty.Take(n).Concat(nonEmpty.TakeLast(n));
    }

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
        // Chapter-titled running heads ("Chapter 4: Function reference") repeat only within their chapter, so three pages
        // are enough in a long document; in short ones half the pages, but at least two: a line seen once is content.
        var threshold = Math.Max(2, Math.Min(3, (int)Math.Ceiling(pages.Count * 0.5)));
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
            if (ch == '\uFB00') { sb.Append("ff"); continue; }
            sb.Append(char.IsWhiteSpace(ch) || char.IsControl(ch) ? ' ' : ch);
        }
        return Spaces().Replace(sb.ToString(), " ").Trim();
    }

    private static string FromSuperscript(string s) =>
        new(s.Select(c => c switch { '¹' => '1', '²' => '2', '³' => '3', >= '⁰' and <= '⁹' => (char)('0' + (c - '⁰')), _ => c }).ToArray());

    [GeneratedRegex(@"^(?:(?:page|p\.)\s*)?[-–—]?\s*(?:\d{1,4}|[ivxlc]{1,7})\s*[-–—]?(?:\s*(?:of|/)\s*\d{1,4})?$", RegexOptions.IgnoreCase)]
    private static partial Regex PageNumber();

    // "2.1 Compiler options . . . . . . 2", "Introduction ........ 1", "asn1_der_coding . . . 15".
    [GeneratedRegex(@"\S.*?(?:\s?\.){4,}\s*(?:\d{1,4}|[ivxlc]{1,6})$", RegexOptions.IgnoreCase)]
    private static partial Regex DotLeaderLine();

    // Leaders on a line of their own, with or without the page number.
    [GeneratedRegex(@"^(?:\.\s?){4,}\s*(?:\d{1,4}|[ivxlc]{1,6})?$", RegexOptions.IgnoreCase)]
    private static partial Regex OnlyDotLeaders();

    [GeneratedRegex(@"(?:\s?\.){4,}")]
    private static partial Regex DotRun();

    [GeneratedRegex(@"\S.*?(?:\s?\.){4,}\s*$")]
    private static partial Regex TrailingLeaders();

    [GeneratedRegex(@"^(?:\d{1,4}|[ivxlc]{1,6})$", RegexOptions.IgnoreCase)]
    private static partial Regex BareNumber();

    [GeneratedRegex(@"^(?:\d{1,2}(?:\.\d{1,2})+\.?|[A-Z]\.\d{1,2}|Appendix [A-Z])$")]
    private static partial Regex SectionNumberOnly();

    [GeneratedRegex(@"^(?:table of contents|contents|short contents|list of (?:figures|tables))\b", RegexOptions.IgnoreCase)]
    private static partial Regex ContentsHeading();

    [GeneratedRegex(@"^(?:\p{L}+\s+){0,3}index\b", RegexOptions.IgnoreCase)]
    private static partial Regex IndexHeading();

    // "asn1_create_element: 9", "compression, 12, 34", "cobc, 3–5".
    [GeneratedRegex(@"^\S.{0,60}?[,:]\s*\d{1,4}(?:\s*[-–]\s*\d{1,4})?(?:,\s*\d{1,4}(?:\s*[-–]\s*\d{1,4})?)*$")]
    private static partial Regex IndexEntry();

    [GeneratedRegex(@"permission is granted|free documentation license|invariant sections|cover texts|all rights reserved|without (?:any|even the implied) warranty|merchantability|redistribution and use in source|redistributions? of source code|copyright\s+(?:©|\(c\)|c\s+\d{4})|\blicensee\b|\blicensor\b|modified versions?\b|secondary sections?|creative commons|terms and conditions|this license|gnu general public license|public license as published|fitness for a particular purpose|verbatim cop(?:y|ies|ying)", RegexOptions.IgnoreCase)]
    private static partial Regex LicencePhrase();

    [GeneratedRegex(@"\blicen[cs]e|\bcopyright|\bwarrant", RegexOptions.IgnoreCase)]
    private static partial Regex LicenceWords();

    [GeneratedRegex(@"^(?:appendix\s+\w+[:.]?\s+)?(?:gnu (?:free documentation|general public|lesser general public) licen[cs]e|copying information|copying conditions|licen[cs]e(?: agreement| terms)?|copying|terms and conditions)\b", RegexOptions.IgnoreCase)]
    private static partial Regex LicenceHeading();

    [GeneratedRegex(@"licen[cs]e|copying|copyright", RegexOptions.IgnoreCase)]
    private static partial Regex LicenceTitle();

    [GeneratedRegex(@"copyright\s*(?:©|\(c\)|c)?\s*\d{4}|©\s*\d{4}|all rights reserved|\bisbn\b", RegexOptions.IgnoreCase)]
    private static partial Regex CopyrightNotice();

    // A footnote marker glued to a word's closing punctuation: "area.3 The", "*.so.2 This", "(2010),12".
    [GeneratedRegex(@"(?<=\p{L}{2}[.,;:)”])(\d{1,2})(?=\s+\p{Lu}|\s*$)")]
    private static partial Regex GluedMarker();

    [GeneratedRegex(@"(?<=\S)[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,2}")]
    private static partial Regex Superscripts();

    // "[2]" page references of DocBook PDFs ("How to use bzip2 [2] describes…").
    [GeneratedRegex(@"\s\[\d{1,4}\](?=[\s.,;:]|$)")]
    private static partial Regex BracketReference();

    [GeneratedRegex(@"^(\d{1,2})(?:\s+\S.*)?$")]
    private static partial Regex FootnoteStart();

    [GeneratedRegex(@"^(?<kind>Fig(?:ure)?\.?|Table)\s+(?<n>\d{1,3}(?:\.\d{1,3})?)[:.]\s+(?<rest>.{3,})$", RegexOptions.IgnoreCase)]
    private static partial Regex Caption();

    [GeneratedRegex(@"^Figure \S+ is not read aloud")]
    private static partial Regex NoticeSentence();

    // Typical source lines: statements ending in ';' or braces, preprocessor lines, comments, assignments.
    [GeneratedRegex(@"^(?:#\s*(?:include|define|if|ifdef|ifndef|endif|else)\b|/\*|\*/|//|\{|\}|.*[;{]\s*$|.*\)\s*;\s*(?:/\*.*)?$|\w+\s*\(.*\)\s*\{?$|(?:int|void|char|unsigned|long|static|const|struct|return|if|for|while)\b.*[;(){}]|(?:int|void|char|unsigned|long|static|const|struct)\s+\**\w+.*[,;)]\s*$)")]
    private static partial Regex CodeLine();

    [GeneratedRegex(@"\d+")]
    private static partial Regex Digits();

    [GeneratedRegex(@" {2,}")]
    private static partial Regex Spaces();
}
