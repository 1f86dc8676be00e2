using System.Globalization;
using System.Text;
using System.Text.Json;
using Kiln.Core.Common;
using Kiln.Core.Media;
using Kiln.Core.Ai;
using Microsoft.Extensions.AI;

namespace Kiln.Core.Pipelines.PdfPodcast;

/// <summary>
/// PDF → cleaned text → chapters → two-host script (→ narrated MP3). See README.md for the artifacts and the
/// script.json schema.
/// </summary>
public sealed class PdfPodcastPipeline(IPdfTools pdf, IAudioTools audio, ISpeechSynthesizer speech, IChatClient chat, IAiProviders providers) : Pipeline<PdfPodcastOptions>
{
    public const string PipelineId = "pdf-podcast";

    public override string Id => PipelineId;
    public override string Name => "PDF to podcast";
    public override string Description => "Turns a PDF into a two-host podcast script per chapter, optionally narrated as an MP3.";
    public override IReadOnlyList<InputSlot> Slots { get; } = [new("source", "PDF", ["pdf"])];
    public override IReadOnlyList<string> Produces => ["script.json", "script.md", "chapters.txt", "podcast.mp3"];
    public override int DefaultTimeoutSeconds => 3600;
    public override IReadOnlyList<string> RequiredTools => ["pdftotext", "pdfinfo", "ffmpeg"];

    /// <summary>One credit per started block of five selected pages; narration adds one per started block of ten.</summary>
    public override PriceList DefaultPricing { get; } = new(new Dictionary<string, decimal> { ["page"] = 0.2m, ["narratedPage"] = 0.1m }, Minimum: 1);

    protected override Error? Validate(PdfPodcastOptions options)
    {
        var names = options.Hosts.Select(h => h.Trim()).ToArray();
        if (names.Any(n => n.Contains(':', StringComparison.Ordinal) || n.Contains('|', StringComparison.Ordinal)))
            return InvalidOption("hosts", $"Host names must be at most {PdfPodcastOptions.MaxHostNameLength} characters and contain no ':' or '|'.");
        if (string.Equals(names[0], names[1], StringComparison.OrdinalIgnoreCase))
            return InvalidOption("hosts", "The two hosts need different names.");
        if (options.Engine is { Length: > 0 } engine && Engine(engine) is null)
            return InvalidOption("engine", $"There is no text engine \"{engine}\". Choose one of: {string.Join(", ", providers.Providers.SelectMany(p => p.Models.Count == 0 ? [p.Name] : p.Models.Select(m => $"{p.Name}/{m}")))}.");
        return null;
    }

    public override Result<PipelineQuote> Plan(PdfPodcastOptions options, InputSet<InputFacts> inputs)
    {
        if (inputs["source"].Pdf is not { Pages: > 0 } facts)
            return Error.Invalid("invalid_inputs", "The PDF's page count is unknown; upload it again so it can be inspected.");
        var selection = PageRange.Parse(options.Pages, facts.Pages);
        if (!selection.IsSuccess) return selection.Error! with { Extensions = new Dictionary<string, object?> { ["field"] = "pages" } };
        var normalized = options with { Pages = selection.Value!.ToString(), Hosts = [.. options.Hosts.Select(h => h.Trim())] };
        var pages = selection.Value.Count;
        return normalized.Audio
            ? Quote(normalized, new Usage("page", pages, "Pages"), new Usage("narratedPage", pages, "Narrated pages"))
            : Quote(normalized, new Usage("page", pages, "Pages"));
    }

    /// <summary>The provider and model a job chose ("provider" or "provider/model"), when the operator configured them.</summary>
    private (string Provider, string? Model)? Engine(string engine)
    {
        var slash = engine.IndexOf('/', StringComparison.Ordinal);
        var (name, model) = slash < 0 ? (engine, null) : (engine[..slash], engine[(slash + 1)..]);
        var provider = providers.Providers.FirstOrDefault(p => p.Name == name);
        return provider is null || (model is not null && !provider.Models.Contains(model)) ? null : (name, model);
    }

    public override async Task<PipelineOutcome> Run(PipelineContext context, PdfPodcastOptions options, CancellationToken ct)
    {
        await RunCoreAsync(context, context.Inputs["source"], options, ct);
        return new PipelineOutcome();
    }

    private async Task RunCoreAsync(PipelineContext context, PipelineInput input, PdfPodcastOptions options, CancellationToken ct)
    {
        var report = context.Reporter;
        var progress = context.Progress;
        string title;
        IReadOnlyList<(int Page, string Text)> pages;
        using (var step = progress.Step("extract", 0.25))
            (title, pages) = await Kiln.Core.Pipelines.Text.PdfPages.ExtractAsync(pdf, input, options.Pages, step, ct);

        using (var step = progress.Step("clean", 0.05)) await step.StartAsync("Cleaning the text", ct);
        var lines = TextCleaner.Clean(pages);
        await report.LogAsync($"Extracted {pages.Count} pages, {lines.Sum(l => l.Text.Length)} characters after cleanup.", ct);

        using (var step = progress.Step("chapters", 0.05)) await step.StartAsync("Finding chapters", ct);
        var outline = await pdf.GetOutlineAsync(input.Path, ct);
        var chapters = ChapterSplitter.Split(lines, outline, options.MaxChapters);
        if (chapters.Count == 0)
            throw new PipelineException("no_text", "This PDF has no extractable text (is it a scan?). Run it through OCR first, then upload it again.");
        await report.LogAsync($"Found {chapters.Count} chapter(s): {string.Join("; ", chapters.Select(c => c.Title))}", ct);

        var writer = new ScriptWriter(options.Engine is { Length: > 0 } e && Engine(e) is { } chosen ? providers.GetChatClient(chosen.Provider, chosen.Model) : chat);
        var scriptChapters = new List<ScriptChapter>();
        using var scriptStep = progress.Step("script", options.Audio ? 0.3 : 0.6);
        foreach (var chapter in chapters)
        {
            await scriptStep.ReportAsync(chapter.Index - 1, chapters.Count, $"Writing chapter {chapter.Index} of {chapters.Count}", ct);
            IReadOnlyList<ScriptTurn> turns;
            try
            {
                turns = await writer.WriteChapterAsync(chapter, chapters.Count, options, ct);
            }
            // Provider failures are classified by the host by their HTTP status (429/5xx retried, other 4xx not); anything
            // else the engine throws is treated as a passing failure.
            catch (Exception ex) when (ex is not OperationCanceledException and not PipelineException and not HttpRequestException and not TimeoutException)
            {
                throw new PipelineException("ai_failed", "The text engine did not answer; the job will be retried.", transient: true, inner: ex);
            }
            if (chapter.Index == 1) turns = [.. ScriptWriter.Intro(title, chapters, options), .. turns];
            if (chapter.Index == chapters.Count) turns = [.. turns, .. ScriptWriter.Outro(title, options)];
            scriptChapters.Add(new ScriptChapter(chapter.Index, chapter.Title, new PageSpan(chapter.FirstPage, chapter.LastPage), turns));
        }
        scriptStep.Dispose();
        var script = new PodcastScript(title, Id, Version, options.Hosts, scriptChapters);

        var outDir = Directory.CreateDirectory(Path.Combine(context.ScratchDirectory, "out")).FullName;
        await AddTextAsync(context, outDir, "script.json", "application/json", script.ToJson(), ct);
        await AddTextAsync(context, outDir, "script.md", "text/markdown", script.ToMarkdown(), ct);
        await AddTextAsync(context, outDir, "chapters.txt", "text/plain", ChaptersText(title, chapters), ct);

        if (options.Audio)
            await NarrateAsync(context, script, outDir, ct);
        await progress.DoneAsync(ct);
    }

    private async Task NarrateAsync(PipelineContext context, PodcastScript script, string outDir, CancellationToken ct)
    {
        using var step = context.Progress.Step("audio", 0.35);
        var ttsDir = Directory.CreateDirectory(Path.Combine(context.ScratchDirectory, "tts")).FullName;
        var turns = script.Chapters.SelectMany(c => c.Turns).Where(t => t.Text.Any(char.IsLetterOrDigit)).ToList();
        await context.Reporter.LogAsync($"Narrating {turns.Count} turns with {speech.Name}.", ct);
        var wavs = new List<string>(turns.Count);
        for (var i = 0; i < turns.Count; i++)
        {
            if (i % 5 == 0)
                await step.ReportAsync(i, turns.Count + 1, $"Narrating turn {i + 1} of {turns.Count}", ct);
            var wav = Path.Combine(ttsDir, $"{i:D5}.wav");
            var voice = string.Equals(turns[i].Speaker, script.Hosts[0], StringComparison.Ordinal) ? 0 : 1;
            await speech.SynthesizeAsync(Kiln.Core.Pipelines.Text.Speakable.Prepare(turns[i].Text), voice, wav, ct);
            wavs.Add(wav);
        }
        await step.ReportAsync(turns.Count, turns.Count + 1, "Encoding the MP3", ct);
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
}
