using System.Text;
using Kiln.Core.Ai;
using Kiln.Core.Common;
using Kiln.Core.Data;
using Kiln.Core.Media;
using Kiln.Core.Media.Speech;
using Kiln.Core.Notes;
using Kiln.Core.Storage;
using Kiln.Core.Uploads;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Pipelines.StudyNotes;

/// <summary>
/// A lecture (video or audio file, caption file, PDF or text, or a video link) → a transcript → study notes (summary, key
/// concepts, timed outline, quotes, glossary, open questions, links to the workspace's related notes) and a quiz. The
/// note is saved in the workspace's notes (where it is read, edited, searched and exported) and as artifacts.
/// </summary>
public sealed class StudyNotesPipeline(IPdfTools pdf, IAiProviders providers, VideoLinkSource links, IOptions<StudyNotesSettings> settings)
    : Pipeline<StudyNotesOptions>
{
    public const string PipelineId = "study-notes";
    private const double CaptionCharactersPerMinute = 900;
    private const double CharactersPerPage = 3000;

    public override string Id => PipelineId;
    public override string Name => "Study notes";
    public override string Description => "Turns a lecture video, a talk, a subtitle file, slides or a video link into linked study notes with a quiz.";
    public override IReadOnlyList<InputSlot> Slots { get; } =
    [
        new("media", "Lecture video or audio", ["video", "audio"], Required: false),
        new("subtitles", "Subtitle file (SRT or WebVTT)", ["subtitles"], Required: false, Description: "Captions are used as the transcript: no speech recognition."),
        new("document", "Slides or reading (PDF or text)", ["pdf", "text"], Required: false),
    ];
    public override IReadOnlyList<string> Produces => ["notes.md", "notes.json", "transcript.txt"];
    public override int DefaultTimeoutSeconds => 3600;
    public override IReadOnlyList<string> RequiredTools => ["ffmpeg", "pdftotext"];

    /// <summary>1 credit per video up to 20 minutes (0.05 per minute, minimum 1); documents 0.1 per page.</summary>
    public override PriceList DefaultPricing { get; } = new(new Dictionary<string, decimal> { ["videoMinute"] = 0.05m, ["page"] = 0.1m }, Minimum: 1);

    protected override Error? Validate(StudyNotesOptions options)
    {
        if (options.Link is { Length: > 0 } link && !UrlFetcher.Parse(link).IsSuccess)
            return InvalidOption("link", UrlFetcher.Parse(link).Error!.Message);
        if (options.Engine is { Length: > 0 } engine && Engine(engine) is null)
            return InvalidOption("engine", $"There is no text engine \"{engine}\". Choose one of: {string.Join(", ", providers.Providers.SelectMany(p => p.Models.Count == 0 ? [p.Name] : p.Models.Select(m => $"{p.Name}/{m}")))}.");
        return null;
    }

    public override Result<PipelineQuote> Plan(StudyNotesOptions options, InputSet<InputFacts> inputs)
    {
        var given = inputs.Count + (string.IsNullOrWhiteSpace(options.Link) ? 0 : 1);
        if (given == 0)
            return Error.Invalid("input_required", "Study notes need a lecture: a video or audio file, a subtitle file, a PDF or text, or a video link.");
        if (given > 1)
            return Error.Invalid("too_many_inputs", "Give one lecture per job: a file, a subtitle file, a document or a link, not several.");
        var normalized = options with { Link = options.Link?.Trim() is { Length: > 0 } l ? l : null, Subject = options.Subject?.Trim() is { Length: > 0 } s ? s : null };
        if (normalized.Link is not null)
            return Quote(normalized, new Usage("videoMinute", settings.Value.MaxLinkMinutes, $"Video minutes (a link is charged for up to {settings.Value.MaxLinkMinutes})"));
        var input = inputs[0];
        return input.Slot switch
        {
            "media" => input.Media is { DurationSeconds: > 0 } m ? Quote(normalized, new Usage("videoMinute", m.Minutes, "Video minutes"))
                : Error.Invalid("invalid_inputs", "The file's duration is unknown; upload it again so it can be inspected."),
            "subtitles" => Quote(normalized, new Usage("videoMinute", Math.Ceiling((decimal)((input.Text?.Characters ?? 0) / CaptionCharactersPerMinute) * 100) / 100, "Video minutes (estimated from the captions)")),
            _ => input.Pdf is { } p
                ? (p.Pages > 0 ? Quote(normalized, new Usage("page", p.Pages, "Pages")) : Error.Invalid("invalid_inputs", "The PDF's page count is unknown; upload it again so it can be inspected."))
                : Quote(normalized, new Usage("page", Math.Max(1, (decimal)Math.Ceiling((input.Text?.Characters ?? 0) / CharactersPerPage)), "Pages (3,000 characters each)")),
        };
    }

    public override async Task<PipelineOutcome> Run(PipelineContext context, StudyNotesOptions options, CancellationToken ct)
    {
        var progress = context.Progress;
        LectureSource source;
        using (var step = progress.Step("transcript", 0.7))
            source = await ReadSourceAsync(context, options, step, ct);
        await context.Reporter.LogAsync($"Read {source.Passages.Count} passages ({source.Passages.Sum(p => p.Text.Length)} characters) from the {source.Note.Kind}.", ct);

        StudyNote note;
        using (var step = progress.Step("notes", 0.2))
        {
            await step.StartAsync("Writing the notes and the quiz", ct);
            var courseTerms = await CourseTermsAsync(context, options.Subject, ct);
            note = NotesComposer.Compose(source.Title, source.Passages,
                new NotesComposer.Settings(options.Depth, options.QuizSize, options.Subject, courseTerms), source.Note);
            if (options.Engine is { Length: > 0 } e && Engine(e) is { } chosen && providers.Providers.First(p => p.Name == chosen.Provider).Kind != AiProviderKinds.Extractive)
            {
                var writer = new ModelNotesWriter(providers.GetChatClient(chosen.Provider, chosen.Model), e);
                var written = await writer.WriteAsync(note, source.Passages, options.Language, options.QuizSize, ct);
                foreach (var line in written.Fallbacks) await context.Reporter.LogAsync(line, ct);
                if (written.Fallbacks.Count == 0) await context.Reporter.LogAsync($"The notes and the quiz were written by {e}.", ct);
                else if (written.Note.Engine != "extractive") await context.Reporter.LogAsync($"The notes were written by {e}, with {written.Fallbacks.Count} part(s) from the offline engine.", ct);
                note = written.Note;
            }
        }

        using (var step = progress.Step("save", 0.1))
        {
            await step.StartAsync("Saving the note", ct);
            if (context.WorkspaceId != Guid.Empty && context.Services.GetService<SaveGeneratedNoteCommand>() is { } save)
            {
                var saved = await save.Run(context.WorkspaceId, context.JobId, note, ct);
                note = StudyNote.FromJson(saved.ContentJson) ?? note;
                await context.Reporter.LogAsync($"Saved the note \"{saved.Title}\" ({note.Related.Count} related note(s)).", ct);
            }
            var outDir = Directory.CreateDirectory(Path.Combine(context.ScratchDirectory, "out")).FullName;
            await AddTextAsync(context, outDir, "notes.md", "text/markdown", note.ToMarkdown(), ct);
            await AddTextAsync(context, outDir, "notes.json", "application/json", note.ToJson(), ct);
            await AddTextAsync(context, outDir, "transcript.txt", "text/plain", Transcript(source.Passages), ct);
        }
        await progress.DoneAsync(ct);
        return new PipelineOutcome();
    }

    private sealed record LectureSource(string Title, IReadOnlyList<Passage> Passages, NoteSource Note);

    private async Task<LectureSource> ReadSourceAsync(PipelineContext context, StudyNotesOptions options, ProgressStep step, CancellationToken ct)
    {
        if (options.Link is { Length: > 0 } link)
        {
            await step.StartAsync("Fetching the video link", ct);
            var video = await links.ResolveAsync(context, link, options.Language, ws => ImportDirectAsync(context, link, ct), ct);
            var fromPath = Path.GetFileNameWithoutExtension(new Uri(video.Url).AbsolutePath);
            var name = video.Title ?? (fromPath.Length > 0 ? fromPath : "Linked video");
            var transcript = video.CaptionsPath is { } captions
                ? await CaptionFile.ReadAsync(captions, options.Language, ct)
                : await TranscribeAsync(context, video.MediaPath!, options.Language, step, ct);
            var note = new NoteSource("link", name, video.Url, video.Title, video.Channel, video.DurationSeconds ?? transcript.DurationSeconds, video.SourceId, video.UploadId);
            return new LectureSource(TitleFrom(video.Title ?? name), Passages(transcript), note);
        }
        var input = context.Inputs[0];
        var uploadId = await UploadIdAsync(context, input.Slot, ct);
        switch (input.Slot)
        {
            case "media":
            {
                var transcript = await TranscribeAsync(context, input.Path, options.Language, step, ct);
                var note = new NoteSource("media", input.FileName, DurationSeconds: input.Facts.Media?.DurationSeconds ?? transcript.DurationSeconds, UploadId: uploadId,
                    ContentType: input.Kind == "video" ? "video" : "audio");
                return new LectureSource(TitleFrom(input.FileName), Passages(transcript), note);
            }
            case "subtitles":
            {
                await step.StartAsync("Reading the captions", ct);
                var transcript = await CaptionFile.ReadAsync(input.Path, options.Language, ct);
                if (transcript.Segments.Count == 0) throw new PipelineException("no_captions", "The subtitle file has no caption text.");
                return new LectureSource(TitleFrom(input.FileName), Passages(transcript), new NoteSource("subtitles", input.FileName, DurationSeconds: transcript.DurationSeconds, UploadId: uploadId));
            }
            default:
            {
                string title;
                List<Passage> passages;
                if (input.Kind == "pdf")
                {
                    (title, var pages) = await Text.PdfPages.ExtractAsync(pdf, input, null, step, ct);
                    passages = DocumentPassages(Text.DocumentCleaner.Clean(pages, title).Lines.Select(l => (l.Page, l.Text)));
                }
                else
                {
                    await step.StartAsync("Reading the text", ct);
                    var text = await File.ReadAllTextAsync(input.Path, ct);
                    title = Path.GetFileNameWithoutExtension(input.FileName);
                    passages = DocumentPassages(text.Split('\n').Select(l => ((int)0, l)));
                }
                if (passages.Sum(p => p.Text.Count(char.IsLetter)) < 40)
                    throw new PipelineException("no_text", "The document has too little text to make notes from.");
                return new LectureSource(TitleFrom(title), passages, new NoteSource("document", input.FileName, UploadId: uploadId));
            }
        }
    }

    private static async Task<Transcript> TranscribeAsync(PipelineContext context, string path, string language, ProgressStep step, CancellationToken ct)
    {
        var engines = context.Services.GetService<ISpeechToTextEngines>()
            ?? throw new PipelineException("tool_missing", "The server cannot run this job: no speech-to-text engine is configured.");
        var engine = engines.Default;
        await step.StartAsync($"Transcribing with {engine.Name}", ct);
        var transcript = await engine.TranscribeAsync(path, engine.DetectsLanguage ? language : language, ct);
        if (transcript.Segments.Count == 0 || transcript.Segments.All(s => string.IsNullOrWhiteSpace(s.Text)))
            throw new NoSpeechFoundException("The recording contains no speech that could be recognised, and it has no captions.");
        await context.Reporter.LogAsync($"Transcribed {transcript.Segments.Count} segments with {transcript.Engine}.", ct);
        return transcript;
    }

    /// <summary>A direct media link becomes an upload of the workspace through the guarded import, then a local file.</summary>
    private static async Task<LinkedVideo?> ImportDirectAsync(PipelineContext context, string link, CancellationToken ct)
    {
        var import = context.Services.GetRequiredService<ImportUploadFromUrlCommand>();
        var result = await import.Run(context.WorkspaceId, context.UserId, link, ct);
        if (result.Error is { } error) throw new PipelineException(error.Code, error.Message, transient: error.Kind == ErrorKind.TooManyRequests);
        var upload = result.Value!;
        if (upload.Kind is not ("video" or "audio")) return null;
        var facts = InputFacts.From("media", upload.Kind, upload.FileName, upload.Size ?? 0, upload.MetadataJson);
        var max = context.Services.GetRequiredService<IOptions<StudyNotesSettings>>().Value.MaxLinkMinutes;
        if (facts.Media is { } m && m.DurationSeconds > max * 60)
        {
            // The import already made it an upload of the workspace: a refused link leaves nothing behind.
            await context.Services.GetRequiredService<DeleteUploadCommand>().Run(context.WorkspaceId, upload.Id, CancellationToken.None);
            throw VideoLinkSource.TooLong(m.DurationSeconds, max);
        }
        var path = Path.Combine(Directory.CreateDirectory(Path.Combine(context.ScratchDirectory, "link")).FullName, "media" + Path.GetExtension(upload.FileName));
        var blobs = context.Services.GetRequiredService<IBlobStore>();
        await using (var source = await blobs.OpenReadAsync(upload.BlobKey, ct))
        await using (var file = File.Create(path))
            await source.CopyToAsync(file, ct);
        return new LinkedVideo(null, path, upload.Id, null, null, facts.Media?.DurationSeconds, null, link);
    }

    private static async Task<Guid?> UploadIdAsync(PipelineContext context, string slot, CancellationToken ct)
    {
        if (context.WorkspaceId == Guid.Empty || context.Services.GetService<KilnDbContext>() is not { } db) return null;
        var json = await db.Jobs.IgnoreQueryFilters().Where(j => j.Id == context.JobId && j.WorkspaceId == context.WorkspaceId).Select(j => j.InputsJson).FirstOrDefaultAsync(ct);
        return json is null ? null : Jobs.JobInput.Parse(json).FirstOrDefault(i => i.Slot == slot || i.Slot is null)?.UploadId;
    }

    /// <summary>Key terms of the workspace's notes on the same subject: the quiz's distractors come from the same course.</summary>
    private static async Task<IReadOnlyList<string>> CourseTermsAsync(PipelineContext context, string? subject, CancellationToken ct)
    {
        if (context.WorkspaceId == Guid.Empty || context.Services.GetService<KilnDbContext>() is not { } db) return [];
        var query = db.Notes.IgnoreQueryFilters().AsNoTracking().Where(n => n.WorkspaceId == context.WorkspaceId);
        if (subject is not null) query = query.Where(n => n.Subject == subject);
        var terms = await query.OrderByDescending(n => n.CreatedAt).Take(20).Select(n => n.KeyTerms).ToListAsync(ct);
        return terms.SelectMany(NoteLinker.SplitTerms).Distinct(StringComparer.Ordinal).Take(60).ToList();
    }

    private List<Passage> Passages(Transcript transcript)
    {
        var pause = settings.Value.SectionPauseSeconds;
        return transcript.Segments.Where(s => !string.IsNullOrWhiteSpace(s.Text))
            .Select((s, i) => (s, i))
            .Select(x => new Passage(x.s.Text, x.s.Start, x.s.End, Break: x.i > 0 && x.s.Start - transcript.Segments[x.i - 1].End >= pause))
            .ToList();
    }

    /// <summary>Lines → paragraphs; a short line without a full stop followed by prose is the next paragraph's heading.</summary>
    private static List<Passage> DocumentPassages(IEnumerable<(int Page, string Text)> lines)
    {
        var passages = new List<Passage>();
        var paragraph = new StringBuilder();
        int? page = null;
        string? heading = null;
        void Flush()
        {
            if (paragraph.Length == 0) return;
            var text = paragraph.ToString().Trim();
            paragraph.Clear();
            if (IsHeading(text)) { heading = text; return; }
            passages.Add(new Passage(text, Page: page is > 0 ? page : null, Heading: heading));
            heading = null;
        }
        foreach (var (p, raw) in lines)
        {
            var line = raw.Trim().TrimStart('#').Trim();
            if (line.Length == 0) { Flush(); continue; }
            if (paragraph.Length == 0 && IsHeading(line)) { heading = line; continue; }
            if (paragraph.Length == 0) page = p;
            paragraph.Append(line).Append(' ');
            if (raw.TrimStart().StartsWith('#')) Flush();
        }
        Flush();
        return passages;
    }

    private static bool IsHeading(string line) =>
        line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length <= 10 && !".!?:;,".Contains(line[^1], StringComparison.Ordinal)
        && char.IsUpper(line[0]) && line.Count(char.IsLetter) >= 3;

    private static string TitleFrom(string name)
    {
        var ext = Path.GetExtension(name);
        if (ext.Length is > 1 and <= 5 && FileTypes.TryGet(name, out _, out _)) name = Path.GetFileNameWithoutExtension(name);
        var t = name.Replace('_', ' ').Replace('-', ' ').Trim();
        t = string.Join(' ', t.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        if (t.Length == 0) return "Lecture notes";
        return char.ToUpperInvariant(t[0]) + t[1..];
    }

    private static string Transcript(IReadOnlyList<Passage> passages) =>
        string.Join('\n', passages.Select(p => p.Start is { } s ? $"[{StudyNote.Timestamp(s)}] {p.Text}" : p.Text)) + "\n";

    private (string Provider, string? Model)? Engine(string engine)
    {
        var slash = engine.IndexOf('/', StringComparison.Ordinal);
        var (name, model) = slash < 0 ? (engine, null) : (engine[..slash], engine[(slash + 1)..]);
        var provider = providers.Providers.FirstOrDefault(p => p.Name == name);
        return provider is null || (model is not null && !provider.Models.Contains(model)) ? null : (name, model);
    }

    private static async Task AddTextAsync(PipelineContext context, string dir, string name, string contentType, string text, CancellationToken ct)
    {
        var path = Path.Combine(dir, name);
        await File.WriteAllTextAsync(path, text, new UTF8Encoding(false), ct);
        await context.Artifacts.AddAsync(name, contentType, path, ct);
    }
}
