using System.Globalization;
using System.Text;
using System.Text.Json;
using Kiln.Core.Common;
using Kiln.Core.Media;
using Microsoft.Extensions.AI;

namespace Kiln.Core.Pipelines.PdfPodcast;

/// <summary>
/// PDF → cleaned text → chapters → two-host script (→ narrated MP3). See README.md for the artifacts and the
/// script.json schema.
/// </summary>
public sealed class PdfPodcastPipeline(IPdfTools pdf, IAudioTools audio, ISpeechSynthesizer speech, IChatClient chat) : IPipeline
{
    public const string Id = "pdf-podcast";

    /// <summary>Cost rule: one credit per started block of <see cref="PagesPerCredit"/> selected pages, at least
    /// <see cref="MinimumCredits"/>; narration adds one credit per started block of <see cref="AudioPagesPerCredit"/> pages.</summary>
    public const int PagesPerCredit = 5;
    public const int MinimumCredits = 1;
    public const int AudioPagesPerCredit = 10;

    // Fewer letters than this across the whole selection means there is no text layer (a scan) rather than a short text.
    private const int MinLetters = 20;

    public PipelineDescriptor Descriptor { get; } = new(
        Id,
        "PDF to podcast",
        "1.0.0",
        "Turns a PDF into a two-host podcast script per chapter, optionally narrated as an MP3.",
        ["pdf"],
        ["script.json", "script.md", "chapters.txt", "podcast.mp3"],
        PdfPodcastOptions.Schema,
        DefaultTimeoutSeconds: 3600,
        MaxInputs: 1);

    public static long EstimateCost(int pages, bool withAudio) =>
        Math.Max(MinimumCredits, CeilDiv(pages, PagesPerCredit)) + (withAudio ? CeilDiv(pages, AudioPagesPerCredit) : 0);

    public Result<PipelinePlan> Plan(JsonElement options, IReadOnlyList<InputFacts> inputs)
    {
        var parsed = PdfPodcastOptions.Parse(options);
        if (!parsed.IsSuccess) return parsed.Error!;
        if (inputs.Count != 1 || inputs[0].Kind != "pdf")
            return Error.Invalid("invalid_inputs", "This pipeline takes exactly one PDF file.");
        if (PageCount(inputs[0].Metadata) is not { } pageCount)
            return Error.Invalid("invalid_inputs", "The PDF's page count is unknown; upload it again so it can be inspected.");
        var selection = PageRange.Parse(parsed.Value!.Pages, pageCount);
        if (!selection.IsSuccess) return selection.Error!;
        var normalized = parsed.Value with { Pages = selection.Value!.ToString() };
        return new PipelinePlan(normalized.ToJson(), EstimateCost(selection.Value.Count, normalized.Audio));
    }

    public async Task<PipelineOutcome> RunAsync(PipelineContext context, CancellationToken ct)
    {
        var parsed = PdfPodcastOptions.Parse(context.Options);
        if (!parsed.IsSuccess) throw new PipelineException(parsed.Error!.Code, parsed.Error.Message);
        if (context.Inputs.Count != 1 || context.Inputs[0].Kind != "pdf")
            throw new PipelineException("invalid_inputs", "This pipeline takes exactly one PDF file.");
        try
        {
            await RunCoreAsync(context, context.Inputs[0], parsed.Value!, ct);
            return new PipelineOutcome();
        }
        catch (ToolNotFoundException ex)
        {
            throw new PipelineException("tool_missing", $"The server cannot run this job: {ex.Message}", inner: ex);
        }
        catch (ToolTimeoutException ex)
        {
            throw new PipelineException("tool_timeout", $"Processing took too long ({ex.Tool}).", transient: true, inner: ex);
        }
        catch (ToolFailedException ex) when (ex.Tool is "pdftotext" or "pdfinfo")
        {
            throw new PipelineException("pdf_unreadable", "This PDF could not be read; it may be damaged or password-protected.", inner: ex);
        }
        catch (ToolFailedException ex)
        {
            // Speech APIs fail for rate limits and outages, which a retry fixes; local tools fail the same way again.
            throw new PipelineException("tool_failed", $"Producing the output failed ({ex.Tool}).", transient: ex.Tool == "speech API", inner: ex);
        }
    }

    private async Task RunCoreAsync(PipelineContext context, PipelineInput input, PdfPodcastOptions options, CancellationToken ct)
    {
        var report = context.Reporter;
        await report.ProgressAsync(2, "extract", "Reading the PDF", ct);
        var info = await pdf.GetInfoAsync(input.Path, ct);
        var selection = PageRange.Parse(options.Pages, PageCount(input.Metadata) ?? info.Pages);
        if (!selection.IsSuccess) throw new PipelineException(selection.Error!.Code, selection.Error.Message);
        var title = info.Title ?? Path.GetFileNameWithoutExtension(input.FileName);

        var pages = new List<(int Page, string Text)>();
        foreach (var (first, last) in selection.Value!.Ranges)
        {
            var texts = await pdf.ExtractPagesAsync(input.Path, first, last, ct);
            pages.AddRange(texts.Select((t, i) => (first + i, t)));
            await report.ProgressAsync(5 + 20 * pages.Count / selection.Value.Count, "extract", $"Extracted {pages.Count} of {selection.Value.Count} pages", ct);
        }
        if (pages.Sum(p => p.Text.Count(char.IsLetter)) < MinLetters)
            throw new PipelineException("no_text", "This PDF has no extractable text (is it a scan?). Run it through OCR first, then upload it again.");

        await report.ProgressAsync(27, "clean", "Cleaning the text", ct);
        var lines = TextCleaner.Clean(pages);
        await report.LogAsync($"Extracted {pages.Count} pages, {lines.Sum(l => l.Text.Length)} characters after cleanup.", ct);

        await report.ProgressAsync(32, "chapters", "Finding chapters", ct);
        var outline = await pdf.GetOutlineAsync(input.Path, ct);
        var chapters = ChapterSplitter.Split(lines, outline, options.MaxChapters);
        if (chapters.Count == 0)
            throw new PipelineException("no_text", "This PDF has no extractable text (is it a scan?). Run it through OCR first, then upload it again.");
        await report.LogAsync($"Found {chapters.Count} chapter(s): {string.Join("; ", chapters.Select(c => c.Title))}", ct);

        var scriptEnd = options.Audio ? 65 : 92;
        var writer = new ScriptWriter(chat);
        var scriptChapters = new List<ScriptChapter>();
        foreach (var chapter in chapters)
        {
            await report.ProgressAsync(35 + (scriptEnd - 35) * (chapter.Index - 1) / chapters.Count, "script", $"Writing chapter {chapter.Index} of {chapters.Count}", ct);
            IReadOnlyList<ScriptTurn> turns;
            try
            {
                turns = await writer.WriteChapterAsync(chapter, chapters.Count, options, ct);
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not PipelineException)
            {
                throw new PipelineException("ai_failed", "The text engine did not answer; the job will be retried.", transient: true, inner: ex);
            }
            if (chapter.Index == 1) turns = [.. ScriptWriter.Intro(title, chapters, options), .. turns];
            if (chapter.Index == chapters.Count) turns = [.. turns, .. ScriptWriter.Outro(title, options)];
            scriptChapters.Add(new ScriptChapter(chapter.Index, chapter.Title, new PageSpan(chapter.FirstPage, chapter.LastPage), turns));
        }
        var script = new PodcastScript(title, Id, Descriptor.Version, options.Hosts, scriptChapters);

        var outDir = Directory.CreateDirectory(Path.Combine(context.ScratchDirectory, "out")).FullName;
        await AddTextAsync(context, outDir, "script.json", "application/json", script.ToJson(), ct);
        await AddTextAsync(context, outDir, "script.md", "text/markdown", script.ToMarkdown(), ct);
        await AddTextAsync(context, outDir, "chapters.txt", "text/plain", ChaptersText(title, chapters), ct);

        if (options.Audio)
            await NarrateAsync(context, script, outDir, scriptEnd, ct);
        await report.ProgressAsync(100, "done", "Finished", ct);
    }

    private async Task NarrateAsync(PipelineContext context, PodcastScript script, string outDir, int startPercent, CancellationToken ct)
    {
        var ttsDir = Directory.CreateDirectory(Path.Combine(context.ScratchDirectory, "tts")).FullName;
        var turns = script.Chapters.SelectMany(c => c.Turns).Where(t => t.Text.Any(char.IsLetterOrDigit)).ToList();
        await context.Reporter.LogAsync($"Narrating {turns.Count} turns with {speech.Name}.", ct);
        var wavs = new List<string>(turns.Count);
        for (var i = 0; i < turns.Count; i++)
        {
            if (i % 5 == 0)
                await context.Reporter.ProgressAsync(startPercent + (95 - startPercent) * i / turns.Count, "audio", $"Narrating turn {i + 1} of {turns.Count}", ct);
            var wav = Path.Combine(ttsDir, $"{i:D5}.wav");
            var voice = string.Equals(turns[i].Speaker, script.Hosts[0], StringComparison.Ordinal) ? 0 : 1;
            await speech.SynthesizeAsync(turns[i].Text, voice, wav, ct);
            wavs.Add(wav);
        }
        await context.Reporter.ProgressAsync(95, "audio", "Encoding the MP3", ct);
        var mp3 = Path.Combine(outDir, "podcast.mp3");
        await audio.ConcatToMp3Async(wavs, mp3, ct);
        var seconds = await audio.GetDurationSecondsAsync(mp3, ct);
        await context.Reporter.LogAsync($"podcast.mp3 is {TimeSpan.FromSeconds(Math.Round(seconds)):g} long.", ct);
        await context.Artifacts.AddAsync("podcast.mp3", "audio/mpeg", mp3, ct);
    }

    private static async Task AddTextAsync(PipelineContext context, string dir, string name, string contentType, string text, CancellationToken ct)
    {
        var path = Path.Combine(dir, name);
        await File.WriteAllTextAsync(path, text, new UTF8Encoding(false), ct);
        await context.Artifacts.AddAsync(name, contentType, path, ct);
    }

    private static string ChaptersText(string title, IReadOnlyList<Chapter> chapters)
    {
        var sb = new StringBuilder().Append(title).Append("\n\n");
        foreach (var c in chapters)
        {
            var pages = c.FirstPage == c.LastPage ? $"page {c.FirstPage}" : $"pages {c.FirstPage}-{c.LastPage}";
            sb.Append(CultureInfo.InvariantCulture, $"== {c.Index}. {c.Title} ({pages}) ==\n\n").Append(c.Text).Append("\n\n");
        }
        return sb.ToString().TrimEnd() + "\n";
    }

    private static int? PageCount(JsonElement metadata) =>
        metadata.ValueKind == JsonValueKind.Object && metadata.TryGetProperty("pages", out var p)
            && p.ValueKind == JsonValueKind.Number && p.TryGetInt32(out var n) && n > 0 ? n : null;

    private static int CeilDiv(int a, int b) => (a + b - 1) / b;
}
