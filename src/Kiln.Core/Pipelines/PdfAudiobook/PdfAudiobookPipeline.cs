using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kiln.Core.Common;
using Kiln.Core.Media;
using Kiln.Core.Pipelines.PdfPodcast;
using Speakable = Kiln.Core.Pipelines.Text.Speakable;

namespace Kiln.Core.Pipelines.PdfAudiobook;

/// <summary>
/// PDF (page range) → cleaned text → chapters (outline, else headings) → narration per chapter (checkpointed) →
/// one M4B with chapter marks and cover, an MP3 per chapter, chapters.json and the cleaned text.
/// </summary>
public sealed partial class PdfAudiobookPipeline(IPdfTools pdf, ISpeechSynthesizer speech, IProcessRunner runner, IAudioTools audio) : Pipeline<PdfAudiobookOptions>
{
    public const string PipelineId = "pdf-audiobook";
    // A paid voice is priced by the minute; before the run, minutes are estimated from pages.
    private const decimal EstimatedMinutesPerPage = 1.5m;
    private const int MaxChunkChars = 1500;

    public override string Id => PipelineId;
    public override string Name => "PDF to audiobook";
    public override string Description => "Narrates a PDF chapter by chapter into an M4B audiobook with chapter marks, plus an MP3 per chapter.";
    public override IReadOnlyList<InputSlot> Slots { get; } = [new("source", "PDF", ["pdf"])];
    public override IReadOnlyList<string> Produces => ["book.m4b", "chapter-01.mp3", "chapters.json", "book.txt"];
    public override int DefaultTimeoutSeconds => 4 * 3600;
    public override string ResourceClass => ResourceClasses.Heavy;
    public override IReadOnlyList<string> RequiredTools => ["pdftotext", "pdfinfo", "pdftoppm", "ffmpeg", "ffprobe"];

    /// <summary>One credit per started block of four pages; a paid voice adds its minutes.</summary>
    public override PriceList DefaultPricing { get; } = new(new Dictionary<string, decimal> { ["page"] = 0.25m, ["narrationMinute"] = 0.5m }, Minimum: 1);

    private bool PaidVoice => speech is not EspeakSpeechSynthesizer;

    public override Result<PipelineQuote> Plan(PdfAudiobookOptions options, InputSet<InputFacts> inputs)
    {
        if (inputs["source"].Pdf is not { Pages: > 0 } facts)
            return Error.Invalid("invalid_inputs", "The PDF's page count is unknown; upload it again so it can be inspected.");
        var selection = PageRange.Parse(options.Pages, facts.Pages);
        if (!selection.IsSuccess) return selection.Error! with { Extensions = new Dictionary<string, object?> { ["field"] = "pages" } };
        var normalized = options with { Pages = selection.Value!.ToString() };
        var pages = selection.Value.Count;
        return PaidVoice
            ? Quote(normalized, new Usage("page", pages, "Pages"), new Usage("narrationMinute", pages * EstimatedMinutesPerPage, "Narration minutes (estimated)"))
            : Quote(normalized, new Usage("page", pages, "Pages"));
    }

    public override async Task<PipelineOutcome> Run(PipelineContext context, PdfAudiobookOptions options, CancellationToken ct)
    {
        var input = context.Inputs["source"];
        var progress = context.Progress;
        var work = Directory.CreateDirectory(Path.Combine(context.ScratchDirectory, "work")).FullName;
        var outDir = Directory.CreateDirectory(Path.Combine(context.ScratchDirectory, "out")).FullName;
        var assembler = new AudiobookAssembler(runner, audio);

        string title;
        IReadOnlyList<(int Page, string Text)> pages;
        using (var step = progress.Step("extract", 0.05))
            (title, pages) = await Kiln.Core.Pipelines.Text.PdfPages.ExtractAsync(pdf, input, options.Pages, step, ct);

        IReadOnlyList<Chapter> chapters;
        using (var step = progress.Step("chapters", 0.03))
        {
            await step.StartAsync("Cleaning the text and finding chapters", ct);
            var lines = TextCleaner.Clean(pages);
            chapters = ChapterSplitter.Split(lines, await pdf.GetOutlineAsync(input.Path, ct), options.MaxChapters);
        }
        if (chapters.Count == 0)
            throw new PipelineException("no_text", "This PDF has no text to narrate after removing page furniture (headers, contents, index).");
        await context.Reporter.LogAsync($"Found {chapters.Count} chapter(s): {string.Join("; ", chapters.Select(c => c.Title))}", ct);

        var voice = options.Voice == "second" ? 1 : 0;
        var narrated = new List<(int, string, string)>();
        using (var step = progress.Step("narrate", 0.72))
        {
            foreach (var chapter in chapters)
            {
                await step.ReportAsync(chapter.Index - 1, chapters.Count, $"Narrating chapter {chapter.Index} of {chapters.Count}: {chapter.Title}", ct);
                var dir = Path.Combine(work, $"chapter-{chapter.Index:D3}");
                var wav = Path.Combine(dir, "chapter.wav");
                var name = $"chapter-{chapter.Index:D3}";
                if (!await context.Checkpoints.TryRestoreAsync(name, dir, ct) || !File.Exists(wav))
                {
                    Directory.CreateDirectory(dir);
                    await NarrateChapterAsync(chapter, voice, dir, wav, ct);
                    await context.Checkpoints.SaveAsync(name, dir, ct);
                }
                else await context.Reporter.LogAsync($"Chapter {chapter.Index} was narrated by an earlier attempt; reusing it.", ct);
                narrated.Add((chapter.Index, chapter.Title, wav));
            }
        }

        string bookWav;
        IReadOnlyList<NarratedChapter> spans;
        using (var step = progress.Step("master", 0.1))
        {
            await step.StartAsync("Joining chapters and normalizing loudness", ct);
            var joined = await assembler.JoinAsync(narrated, work, ct);
            spans = joined.Chapters;
            bookWav = await assembler.NormalizeAsync(joined.Wav, options.Speed, work, ct);
        }

        using (var step = progress.Step("export", 0.1))
        {
            await step.StartAsync("Writing the M4B", ct);
            var cover = await assembler.RenderCoverAsync(input.Path, work, ct);
            var m4b = Path.Combine(outDir, "book.m4b");
            await assembler.WriteM4bAsync(bookWav, spans, options.Speed, title, null, cover, m4b, ct);
            var loudness = await audio.MeasureLoudnessAsync(m4b, ct);
            // The encoder can push a rare inter-sample peak over the ceiling (seen: −1.7 dBTP in a 2-hour book): limit the
            // master lower by the overshoot and encode again, at most twice.
            var ceiling = LoudnessTarget.Audiobook.TruePeakDbtp - 1;
            for (var retry = 0; retry < 2 && loudness.TruePeakDbtp > LoudnessTarget.Audiobook.TruePeakDbtp; retry++)
            {
                ceiling -= loudness.TruePeakDbtp - LoudnessTarget.Audiobook.TruePeakDbtp + 0.3;
                await context.Reporter.LogAsync(string.Create(CultureInfo.InvariantCulture,
                    $"book.m4b peaked at {loudness.TruePeakDbtp:0.0} dBTP after encoding; limiting the master to {ceiling:0.0} dBTP and encoding again."), ct);
                bookWav = await assembler.LimitAsync(bookWav, ceiling, work, ct);
                await assembler.WriteM4bAsync(bookWav, spans, options.Speed, title, null, cover, m4b, ct);
                loudness = await audio.MeasureLoudnessAsync(m4b, ct);
            }
            var length = TimeSpan.FromSeconds(Math.Round(await assembler.DurationAsync(m4b, ct)));
            await context.Reporter.LogAsync(string.Create(CultureInfo.InvariantCulture,
                $"book.m4b: {length:g} long, {loudness.IntegratedLufs:0.0} LUFS, true peak {loudness.TruePeakDbtp:0.0} dBTP."), ct);
            await context.Artifacts.AddAsync("book.m4b", "audio/mp4", m4b, ct);
            if (options.ChapterMp3s)
                foreach (var c in spans)
                {
                    await step.ReportAsync(c.Index, spans.Count + 1, $"Writing chapter {c.Index} MP3", ct);
                    var mp3 = Path.Combine(outDir, $"chapter-{c.Index:D2}.mp3");
                    await assembler.WriteChapterMp3Async(bookWav, c, options.Speed, title, mp3, ct);
                    await context.Artifacts.AddAsync(Path.GetFileName(mp3), "audio/mpeg", mp3, ct);
                }
            await AddTextAsync(context, outDir, "chapters.json", "application/json", ChaptersJson(title, chapters, spans, options.Speed), ct);
            await AddTextAsync(context, outDir, "book.txt", "text/plain", BookText(title, chapters), ct);
        }
        await progress.DoneAsync(ct);
        return new PipelineOutcome();
    }

    private async Task NarrateChapterAsync(Chapter chapter, int voice, string dir, string wav, CancellationToken ct)
    {
        var parts = new List<string>();
        var chunks = Chunks($"Chapter {chapter.Index}. {chapter.Title}.", chapter.Text).ToList();
        for (var i = 0; i < chunks.Count; i++)
        {
            var part = Path.Combine(dir, $"part-{i:D4}.wav");
            await speech.SynthesizeAsync(chunks[i], voice, part, ct);
            parts.Add(part);
        }
        var list = Path.Combine(dir, "parts.txt");
        await File.WriteAllTextAsync(list, string.Concat(parts.Select(p => $"file '{Path.GetFullPath(p).Replace("'", "'\\''", StringComparison.Ordinal)}'\n")), ct);
        ToolFailedException.EnsureSuccess(await runner.RunAsync(new ProcessSpec("ffmpeg",
            ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0", "-i", list, "-ar", "44100", "-ac", "1", "-c:a", "pcm_s16le", wav])
            { Timeout = TimeSpan.FromHours(1), InstallHint = "install ffmpeg" }, ct), "ffmpeg");
        foreach (var p in parts) File.Delete(p);
        File.Delete(list);
    }

    /// <summary>The heading, then the text in pieces of at most <see cref="MaxChunkChars"/> characters, cut between sentences.</summary>
    internal static IEnumerable<string> Chunks(string heading, string text)
    {
        yield return heading;
        // List bullets on their own line would be read as "bullet": a list item is read as a sentence of its own.
        text = Speakable.Prepare(text);
        var current = new StringBuilder();
        foreach (var sentence in Sentence().Split(text.Replace('\n', ' ')).Select(s => s.Trim()).Where(s => s.Length > 0))
        {
            if (current.Length > 0 && current.Length + sentence.Length + 1 > MaxChunkChars)
            {
                yield return current.ToString();
                current.Clear();
            }
            // A single sentence longer than a chunk (a run-on list) is cut at a space.
            var s = sentence;
            while (s.Length > MaxChunkChars)
            {
                var cut = s.LastIndexOf(' ', MaxChunkChars);
                if (cut <= 0) cut = MaxChunkChars;
                yield return s[..cut];
                s = s[cut..].TrimStart();
            }
            if (current.Length > 0) current.Append(' ');
            current.Append(s);
        }
        if (current.Length > 0) yield return current.ToString();
    }

    [GeneratedRegex(@"(?<=[.!?])\s+(?=[A-Z0-9""'(])")]
    private static partial Regex Sentence();

    private static string ChaptersJson(string title, IReadOnlyList<Chapter> chapters, IReadOnlyList<NarratedChapter> spans, double speed) =>
        JsonSerializer.Serialize(new
        {
            version = "1.2.0",
            title,
            chapters = chapters.Zip(spans, (c, s) => new
            {
                startTime = Math.Round(s.Start / speed, 3),
                endTime = Math.Round(s.End / speed, 3),
                title = c.Title,
                firstPage = c.FirstPage,
                lastPage = c.LastPage,
            }),
        }, IndentedJson);

    private static readonly JsonSerializerOptions IndentedJson = new() { WriteIndented = true };

    private static string BookText(string title, IReadOnlyList<Chapter> chapters)
    {
        var sb = new StringBuilder().Append(title).Append("\n\n");
        foreach (var c in chapters) sb.Append(CultureInfo.InvariantCulture, $"{c.Index}. {c.Title}\n\n{c.Text}\n\n");
        return sb.ToString().TrimEnd() + "\n";
    }

    private static async Task AddTextAsync(PipelineContext context, string dir, string name, string contentType, string text, CancellationToken ct)
    {
        var path = Path.Combine(dir, name);
        await File.WriteAllTextAsync(path, text, new UTF8Encoding(false), ct);
        await context.Artifacts.AddAsync(name, contentType, path, ct);
    }
}
