// Text-quality bench: runs the pdf-podcast text path (pdftotext → TextCleaner → ChapterSplitter → ScriptWriter with the
// offline extractive engine) on real PDFs and counts how much of what a listener would hear is table of contents,
// dot leaders, page numbers or licence boilerplate. It only calls the API PdfPodcastPipeline itself calls, so the same
// file builds against older commits (run.sh measures "before" in a temporary worktree).
// Usage: Kiln.Bench.TextQuality <out-dir> <pdf>...
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Kiln.Core.Ai;
using Kiln.Core.Media;
using Kiln.Core.Pipelines.PdfPodcast;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: Kiln.Bench.TextQuality <out-dir> <pdf>...");
    return 2;
}
var outRoot = Directory.CreateDirectory(args[0]).FullName;
var pdf = new PdfTools(new ProcessRunner());
var options = new PdfPodcastOptions(null, "Alex", "Sam", PdfPodcastOptions.Conversational, false, PdfPodcastOptions.DefaultMaxChapters);
var writer = new ScriptWriter(new ExtractiveChatClient());
var ct = CancellationToken.None;

Console.WriteLine("| PDF | pages | outline (top level / all) | chapters found (max 50 / podcast max 12) | turns | bad turns | TOC | dots | page no. | licence | sentences | bad sentences | TOC | dots | page no. | licence |");
Console.WriteLine("|-----|------:|------:|------:|------:|------:|---:|---:|---:|---:|------:|------:|---:|---:|---:|---:|");
foreach (var path in args.Skip(1))
{
    var name = Path.GetFileNameWithoutExtension(path);
    var info = await pdf.GetInfoAsync(path, ct);
    var texts = await pdf.ExtractPagesAsync(path, 1, info.Pages, ct);
    var pages = texts.Select((t, i) => (i + 1, t)).ToList();
    var lines = TextCleaner.Clean(pages);
    var outline = await pdf.GetOutlineAsync(path, ct);
    var chapters = ChapterSplitter.Split(lines, outline, options.MaxChapters);
    var unmerged = ChapterSplitter.Split(lines, outline, 50);
    var title = info.Title ?? name;

    var scriptChapters = new List<ScriptChapter>();
    foreach (var chapter in chapters)
    {
        IReadOnlyList<ScriptTurn> turns = await writer.WriteChapterAsync(chapter, chapters.Count, options, ct);
        if (chapter.Index == 1) turns = [.. ScriptWriter.Intro(title, chapters, options), .. turns];
        if (chapter.Index == chapters.Count) turns = [.. turns, .. ScriptWriter.Outro(title, options)];
        scriptChapters.Add(new ScriptChapter(chapter.Index, chapter.Title, new PageSpan(chapter.FirstPage, chapter.LastPage), turns));
    }
    var script = new PodcastScript(title, "pdf-podcast", "bench", options.Hosts, scriptChapters);

    var dir = Directory.CreateDirectory(Path.Combine(outRoot, name)).FullName;
    await File.WriteAllTextAsync(Path.Combine(dir, "script.md"), script.ToMarkdown(), ct);
    var chaptersText = new StringBuilder();
    foreach (var c in chapters) chaptersText.Append(CultureInfo.InvariantCulture, $"== {c.Index}. {c.Title} (pages {c.FirstPage}-{c.LastPage}) ==\n\n{c.Text}\n\n");
    await File.WriteAllTextAsync(Path.Combine(dir, "chapters.txt"), chaptersText.ToString(), ct);

    var turnTexts = scriptChapters.SelectMany(c => c.Turns).Select(t => t.Text).ToList();
    var sentences = chapters.SelectMany(c => TextRank.SplitSentences(c.Text)).ToList();
    var t = Classify(turnTexts);
    var s = Classify(sentences);
    var bad = new StringBuilder();
    foreach (var (kind, text) in turnTexts.Select(x => (Kinds(x), x)).Where(x => x.Item1.Length > 0)) bad.Append("turn [").Append(kind).Append("] ").Append(text).Append('\n');
    foreach (var (kind, text) in sentences.Select(x => (Kinds(x), x)).Where(x => x.Item1.Length > 0)) bad.Append("sentence [").Append(kind).Append("] ").Append(text).Append('\n');
    await File.WriteAllTextAsync(Path.Combine(dir, "flagged.txt"), bad.ToString(), ct);

    var top = outline.Count == 0 ? 0 : outline.Count(o => o.Level == outline.Min(x => x.Level));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {info.Pages} | {top} / {outline.Count} | {unmerged.Count} / {chapters.Count} | {turnTexts.Count} | {Pct(t.Bad, turnTexts.Count)} | {t.Toc} | {t.Dots} | {t.PageNo} | {t.Licence} | {sentences.Count} | {Pct(s.Bad, sentences.Count)} | {s.Toc} | {s.Dots} | {s.PageNo} | {s.Licence} |"));
    Console.Error.WriteLine($"{name}: chapters: {string.Join(" | ", unmerged.Select(c => $"{c.Index}. {c.Title} [{c.FirstPage}-{c.LastPage}]"))}");
}
return 0;

static string Pct(int n, int total) => total == 0 ? "–" : string.Create(CultureInfo.InvariantCulture, $"{100.0 * n / total:0.0} % ({n})");

static (int Bad, int Toc, int Dots, int PageNo, int Licence) Classify(IReadOnlyList<string> texts)
{
    int bad = 0, toc = 0, dots = 0, pageNo = 0, licence = 0;
    foreach (var text in texts)
    {
        var k = Kinds(text);
        if (k.Length > 0) bad++;
        if (k.Contains("toc", StringComparison.Ordinal)) toc++;
        if (k.Contains("dots", StringComparison.Ordinal)) dots++;
        if (k.Contains("page", StringComparison.Ordinal)) pageNo++;
        if (k.Contains("licence", StringComparison.Ordinal)) licence++;
    }
    return (bad, toc, dots, pageNo, licence);
}

// Deliberately independent of the cleaner's own rules, so the bench does not grade itself.
static string Kinds(string text)
{
    var kinds = new List<string>();
    if (Patterns.Toc.IsMatch(text)) kinds.Add("toc");
    if (Patterns.Dots.IsMatch(text)) kinds.Add("dots");
    if (Patterns.PageNo.IsMatch(text)) kinds.Add("page");
    if (Patterns.Licence.IsMatch(text)) kinds.Add("licence");
    return string.Join(',', kinds);
}

static partial class Patterns
{
    // "Table of Contents", or two or more "title page-number next-number" runs as a TOC reads once its dots are gone:
    // "1 Introduction 1 2 ASN.1 structure handling 2 2.1 …"; or index runs "asn1_create_element, 9, 12".
    [GeneratedRegex(@"\btable of contents\b|\bList of (?:Figures|Tables)\b|(?:\p{L}[\p{L})]*\s+\d{1,3}\s+(?:\d{1,2}(?:\.\d{1,2})*\.?|[A-Z]\.\d{1,2})\s+\p{Lu}.*){2,}|(?:\w[\w()]*,\s*\d{1,3}(?:,\s*\d{1,3})*\s+){3,}", RegexOptions.IgnoreCase)]
    public static partial Regex Toc { get; }

    [GeneratedRegex(@"(?:\.\s?){5,}|…{2,}")]
    public static partial Regex Dots { get; }

    // A turn or sentence that is only a page number, or a page number left between a sentence end and a heading.
    [GeneratedRegex(@"^\s*(?:page\s+)?(?:\d{1,4}|[ivxlc]{1,6})\s*$|\bpage \d+ of \d+\b|[.!?]\s+(?:\d{1,3}|[ivx]{1,5})\s+\d{1,2}(?:\.\d{1,2})*\.?\s+\p{Lu}", RegexOptions.IgnoreCase)]
    public static partial Regex PageNo { get; }

    [GeneratedRegex(@"permission is granted|free documentation license|invariant sections|cover texts|all rights reserved|without (?:any|even the implied) warranty|merchantability|redistribution and use in source|copyright\s+(?:©|\(c\)|c\s+\d{4})|\blicensee\b|\blicensor\b|modified version|secondary section|creative commons", RegexOptions.IgnoreCase)]
    public static partial Regex Licence { get; }
}
