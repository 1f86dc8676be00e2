using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Kiln.Core.Ai;
using Kiln.Core.Common;
using Kiln.Core.Media;
using Kiln.Core.Media.Speech;
using Microsoft.Extensions.AI;

namespace Kiln.Core.Pipelines.PodcastEpisode;

/// <summary>
/// A recorded episode → cleaned and loudness-normalized MP3 (and AAC) with ID3 tags, chapters and artwork, waveform
/// peaks, a transcript in three formats, drafted show notes and chapters, and a manifest. Each step is checkpointed,
/// so a retry resumes after the last finished one. See docs/podcast.md for the artifacts.
/// </summary>
public sealed class PodcastEpisodePipeline(IProcessRunner runner, IChatClient chat, IAiProviders providers, ISpeechToTextEngines speech) : Pipeline<PodcastEpisodeOptions>
{
    public const string PipelineId = "podcast-episode";
    public const string AudioSlot = "audio";
    public const string ArtworkSlot = "artwork";

    public override string Id => PipelineId;
    public override string Name => "Podcast episode";
    public override string Description =>
        "Cleans a recorded episode (denoise, trim long silences, level, loudness to a target), encodes a tagged MP3 with chapters, and writes its transcript, show notes, chapters and waveform.";
    public override IReadOnlyList<InputSlot> Slots { get; } =
    [
        new(AudioSlot, "Episode audio", ["audio", "video"], Description: "The recording: MP3, WAV, FLAC, M4A/AAC, Ogg/Opus, WebM, MP4 or MOV."),
        new(ArtworkSlot, "Artwork", ["image"], Required: false, Description: "Square cover art embedded in the MP3's tags."),
    ];
    public override IReadOnlyList<string> Produces =>
        ["episode.mp3", "episode.m4a", "peaks.json", "transcript.vtt", "transcript.srt", "transcript.json", "chapters.json", "shownotes.md", "episode.json"];
    public override int DefaultTimeoutSeconds => 4 * 3600;
    public override string ResourceClass => ResourceClasses.Heavy;
    public override IReadOnlyList<string> RequiredTools => ["ffmpeg", "ffprobe"];

    /// <summary>Like Auphonic: by the input minute, with a minimum per episode.</summary>
    public override PriceList DefaultPricing { get; } = new(new Dictionary<string, decimal> { ["inputMinute"] = 1m }, Minimum: 3);

    protected override Error? Validate(PodcastEpisodeOptions options)
    {
        if (options.Engine is { Length: > 0 } engine && Engine(engine) is null)
            return InvalidOption("engine", $"There is no text engine \"{engine}\". Choose one of: {string.Join(", ", providers.Providers.SelectMany(p => p.Models.Count == 0 ? [p.Name] : p.Models.Select(m => $"{p.Name}/{m}")))}.");
        if (options.Transcribe)
        {
            var stt = options.SpeechEngine is { Length: > 0 } name ? speech.Find(name) : speech.Default;
            if (stt is null)
                return InvalidOption("speechEngine", $"There is no speech engine \"{options.SpeechEngine}\". Choose one of: {string.Join(", ", speech.All.Select(e => e.Name))}.");
            if (stt.Languages.Count > 0 && !stt.Languages.Contains(options.Language))
                return InvalidOption("language", $"The speech engine {stt.Name} does not understand '{options.Language}'. It knows: {string.Join(", ", stt.Languages.Order())}.");
        }
        return null;
    }

    public override Result<PipelineQuote> Plan(PodcastEpisodeOptions options, InputSet<InputFacts> inputs)
    {
        var media = inputs[AudioSlot].Media;
        if (media is { HasVideo: true, Channels: 0 })
            return Error.Invalid("no_audio_track", "This video has no sound track. Upload a recording with audio.");
        if (media is null || media.DurationSeconds <= 0)
            return Error.Invalid("empty_audio", "The recording is empty (0 seconds). Record or upload the episode again.");
        return Quote(options, new Usage("inputMinute", media.Minutes, "Input minutes"));
    }

    private (string Provider, string? Model)? Engine(string engine)
    {
        var slash = engine.IndexOf('/', StringComparison.Ordinal);
        var (name, model) = slash < 0 ? (engine, null) : (engine[..slash], engine[(slash + 1)..]);
        var provider = providers.Providers.FirstOrDefault(p => p.Name == name);
        return provider is null || (model is not null && !provider.Models.Contains(model)) ? null : (name, model);
    }

    public override async Task<PipelineOutcome> Run(PipelineContext context, PodcastEpisodeOptions options, CancellationToken ct)
    {
        var input = context.Inputs[AudioSlot];
        var progress = context.Progress;
        var log = context.Reporter;
        var work = Directory.CreateDirectory(Path.Combine(context.ScratchDirectory, "work")).FullName;
        var outDir = Directory.CreateDirectory(Path.Combine(context.ScratchDirectory, "out")).FullName;
        var target = new LoudnessTarget(options.LoudnessTarget, LoudnessTarget.Podcast.TruePeakDbtp);
        var title = string.IsNullOrWhiteSpace(options.Title) ? Path.GetFileNameWithoutExtension(input.FileName) : options.Title.Trim();
        var episodeAudio = new EpisodeAudio(runner);
        var timings = new Dictionary<string, double>();
        var steps = new Dictionary<string, string>();

        // 1–3: process, encode, peaks. The encoded checkpoint holds everything later steps need, so a retry after it skips all three.
        var encodedDir = Path.Combine(work, "encoded");
        AudioState state;
        if (await context.Checkpoints.TryRestoreAsync("encoded", encodedDir, ct) && File.Exists(Path.Combine(encodedDir, "state.json")))
        {
            state = Read<AudioState>(Path.Combine(encodedDir, "state.json"));
            await log.LogAsync("The processed and encoded audio from an earlier attempt is reused.", ct);
            steps["process"] = steps["encode"] = "reused";
        }
        else
        {
            var processedDir = Path.Combine(work, "processed");
            var processedWav = Path.Combine(processedDir, "processed.wav");
            ProcessedAudio processed;
            using (var step = progress.Step("process", 0.25))
            {
                var clock = Stopwatch.StartNew();
                if (await context.Checkpoints.TryRestoreAsync("processed", processedDir, ct) && File.Exists(processedWav))
                {
                    processed = Read<ProcessedAudio>(Path.Combine(processedDir, "processed.json"));
                    steps["process"] = "reused";
                }
                else
                {
                    Directory.CreateDirectory(processedDir);
                    await step.StartAsync("Measuring the noise floor and finding pauses", ct);
                    var expected = input.Facts.Media?.DurationSeconds ?? 0;
                    var (scan, levels, pauses) = await EpisodeAudio.AnalyzeAsync(input.Path, expected, ct);
                    timings["analyze"] = Seconds(clock);
                    await log.LogAsync(Inv($"Input: {scan.DurationSeconds:0.0} s, noise floor {levels.NoiseFloorDb:0.0} dBFS, speech {levels.SpeechDb:0.0} dBFS, {pauses.Count} pause(s) of 0.3 s or more."), ct);
                    await step.ReportAsync(0.1, Describe(options), ct);
                    var channels = Math.Clamp(input.Facts.Media?.Channels ?? 1, 1, 2);
                    processed = await episodeAudio.ProcessAsync(input.Path, processedWav, Path.Combine(processedDir, "speech.wav"), options, channels, levels, pauses, scan.DurationSeconds, ct);
                    if (options.TrimSilence && !processed.Trimmed && levels.SignalToNoiseDb < 10)
                        await log.LogAsync("Silences were not trimmed: the noise is too close to the speech level to tell pauses apart.", ct);
                    else if (processed.Trimmed)
                        await log.LogAsync(Inv($"Shortened {processed.Cuts.Count} long pause(s), {processed.RemovedSeconds:0.0} s in all:{SilenceCuts.Describe(processed.Cuts)}."), ct);
                    await Write(Path.Combine(processedDir, "processed.json"), processed, ct);
                    await context.Checkpoints.SaveAsync("processed", processedDir, ct);
                    steps["process"] = "done";
                }
                timings["process"] = Seconds(clock);
            }

            using (var step = progress.Step("encode", 0.15))
            {
                var clock = Stopwatch.StartNew();
                await step.StartAsync(options.Aac ? "Encoding the MP3 and the AAC copy" : "Encoding the MP3", ct);
                Directory.CreateDirectory(encodedDir);
                var (encoded, scan) = await episodeAudio.EncodeAsync(processedWav, processed, target,
                    Path.Combine(encodedDir, "episode.mp3"), options.Aac ? Path.Combine(encodedDir, "episode.m4a") : null, line => log.LogAsync(line, ct), ct);
                File.Move(Path.Combine(processedDir, "speech.wav"), Path.Combine(encodedDir, "speech.wav"), overwrite: true);
                var levels = AudioLevels.Measure(scan.WindowDb);
                state = new AudioState(processed, encoded, levels.FindPauses(scan.WindowDb), scan.Peaks.Select(p => (int)p).ToArray(), scan.SamplesPerPixel);
                await Write(Path.Combine(encodedDir, "state.json"), state, ct);
                await context.Checkpoints.SaveAsync("encoded", encodedDir, ct);
                timings["encode"] = Seconds(clock);
                steps["encode"] = "done";
            }
            File.Delete(processedWav);
        }
        var enc = state.Encoded;
        await log.LogAsync(Inv($"episode.mp3: {enc.DurationSeconds:0.0} s, {enc.IntegratedLufs:0.0} LUFS (target {target.IntegratedLufs}), true peak {enc.TruePeakDbtp:0.0} dBTP; gain {enc.GainDb:+0.0;-0.0} dB, {enc.Encodes} encode(s)."), ct);
        if (!target.IsMet(new LoudnessMeasurement(enc.IntegratedLufs, enc.TruePeakDbtp), 0.5))
            await log.LogAsync("The episode is outside ±0.5 LU of the target or above the peak ceiling after three encodes; it is delivered as measured.", ct);

        using (var step = progress.Step("peaks", 0.02))
        {
            await step.StartAsync("Writing the waveform", ct);
            await AddTextAsync(context, outDir, "peaks.json", "application/json", PeaksJson(state), ct);
        }

        // 4: transcript.
        Transcript? transcript = null;
        var mp3 = Path.Combine(encodedDir, "episode.mp3");
        if (options.Transcribe)
            using (var step = progress.Step("transcribe", 0.4))
            {
                var clock = Stopwatch.StartNew();
                var dir = Path.Combine(work, "transcript");
                if (await context.Checkpoints.TryRestoreAsync("transcript", dir, ct) && File.Exists(Path.Combine(dir, "transcript.json")))
                {
                    transcript = Read<Transcript>(Path.Combine(dir, "transcript.json"));
                    steps["transcribe"] = "reused";
                }
                else
                {
                    var engine = SpeechEngine(options);
                    await step.StartAsync($"Transcribing with {engine.Name}", ct);
                    try
                    {
                        transcript = await engine.TranscribeAsync(Path.Combine(encodedDir, "speech.wav"), options.Language, ct);
                        steps["transcribe"] = "done";
                    }
                    catch (NoSpeechFoundException)
                    {
                        // Music or ambience is still an episode: it is delivered without transcript and notes.
                        await log.LogAsync("No speech was recognised; the episode has no transcript, show notes or chapter titles.", ct);
                        steps["transcribe"] = "no speech";
                    }
                    if (transcript is not null)
                    {
                        Directory.CreateDirectory(dir);
                        await Write(Path.Combine(dir, "transcript.json"), transcript, ct);
                        await context.Checkpoints.SaveAsync("transcript", dir, ct);
                    }
                }
                timings["transcribe"] = Seconds(clock);
                if (transcript is not null)
                {
                    var words = transcript.Segments.Sum(s => s.Words.Count > 0 ? s.Words.Count : s.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
                    await log.LogAsync(Inv($"Transcript by {transcript.Engine}: {transcript.Segments.Count} segment(s), {words} word(s) in {timings["transcribe"]:0.0} s."), ct);
                    await AddTextAsync(context, outDir, "transcript.vtt", "text/vtt", Captions.ToWebVtt(transcript), ct);
                    await AddTextAsync(context, outDir, "transcript.srt", "application/x-subrip", Captions.ToSrt(transcript), ct);
                    await AddTextAsync(context, outDir, "transcript.json", "application/json", Captions.ToPodcastJson(transcript), ct);
                }
            }
        else steps["transcribe"] = "off";

        // 5: show notes and chapters.
        var notes = EpisodeNotes.Empty;
        IReadOnlyList<EpisodeChapter> chapters = [];
        using (var step = progress.Step("notes", 0.1))
        {
            var clock = Stopwatch.StartNew();
            var dir = Path.Combine(work, "notes");
            if (await context.Checkpoints.TryRestoreAsync("notes", dir, ct) && File.Exists(Path.Combine(dir, "notes.json")))
            {
                (notes, chapters) = Read<NotesState>(Path.Combine(dir, "notes.json"));
                steps["showNotes"] = options.ShowNotes ? "reused" : "off";
                steps["chapters"] = options.Chapters ? "reused" : "off";
            }
            else
            {
                var writer = new ShowNotesWriter(options.Engine is { Length: > 0 } e && Engine(e) is { } chosen ? providers.GetChatClient(chosen.Provider, chosen.Model) : chat);
                if (options.ShowNotes && transcript is { Segments.Count: > 0 })
                {
                    await step.StartAsync("Drafting the show notes", ct);
                    notes = await writer.WriteNotesAsync(transcript, title, ct);
                }
                steps["showNotes"] = !options.ShowNotes ? "off" : transcript is { Segments.Count: > 0 } ? "done" : "skipped (no transcript)";
                if (options.Chapters)
                {
                    await step.ReportAsync(0.5, "Finding chapters", ct);
                    var starts = ChapterPlanner.Starts(enc.DurationSeconds, state.Pauses);
                    chapters = await writer.TitleChaptersAsync(starts, transcript?.Segments ?? [], enc.DurationSeconds, ct);
                    // One chapter spanning the whole episode says nothing: chapters are written only when there are several.
                    if (chapters.Count < 2) chapters = [];
                }
                steps["chapters"] = options.Chapters ? "done" : "off";
                Directory.CreateDirectory(dir);
                await Write(Path.Combine(dir, "notes.json"), new NotesState(notes, chapters), ct);
                await context.Checkpoints.SaveAsync("notes", dir, ct);
            }
            timings["notes"] = Seconds(clock);
        }

        // 6: tags and artifacts.
        using (var step = progress.Step("tag", 0.05))
        {
            await step.StartAsync("Writing tags, chapters and artwork", ct);
            var clock = Stopwatch.StartNew();
            string? cover = null;
            if (context.Inputs.Find(ArtworkSlot) is { } artwork)
            {
                cover = await episodeAudio.PrepareArtworkAsync(artwork.Path, work, ct);
                if (cover is null) await log.LogAsync("The artwork could not be read as an image; the episode is tagged without it.", ct);
            }
            var tags = new EpisodeTags(title, options.ShowTitle, options.Artist);
            var finalMp3 = Path.Combine(outDir, "episode.mp3");
            await episodeAudio.TagAsync(mp3, finalMp3, tags, chapters, enc.DurationSeconds, cover, ct);
            await context.Artifacts.AddAsync("episode.mp3", "audio/mpeg", finalMp3, ct);
            if (options.Aac && File.Exists(Path.Combine(encodedDir, "episode.m4a")))
            {
                var m4a = Path.Combine(outDir, "episode.m4a");
                await episodeAudio.TagAsync(Path.Combine(encodedDir, "episode.m4a"), m4a, tags, chapters, enc.DurationSeconds, cover, ct);
                await context.Artifacts.AddAsync("episode.m4a", "audio/mp4", m4a, ct);
            }
            if (chapters.Count > 0)
                await AddTextAsync(context, outDir, "chapters.json", "application/json+chapters", ChaptersJson(title, chapters), ct);
            timings["tag"] = Seconds(clock);
            var manifest = EpisodeManifest.Create(title, options, target, state, transcript, notes, chapters, steps, timings);
            await AddTextAsync(context, outDir, "shownotes.md", "text/markdown", manifest.ToMarkdown(), ct);
            await AddTextAsync(context, outDir, "episode.json", "application/json", manifest.ToJson(), ct);
        }
        await log.LogAsync(string.Join(", ", timings.Select(t => Inv($"{t.Key} {t.Value:0.0} s"))), ct);
        await progress.DoneAsync(ct);
        return new PipelineOutcome();
    }

    /// <summary>The engine the options name (checked in <see cref="Validate"/>), or the operator's default.</summary>
    private ISpeechToText SpeechEngine(PodcastEpisodeOptions options) =>
        options.SpeechEngine is { Length: > 0 } name
            ? speech.Find(name) ?? throw new PipelineException("invalid_options", $"There is no speech engine \"{name}\".")
            : speech.Default;

    private static string Describe(PodcastEpisodeOptions o)
    {
        var parts = new List<string>();
        if (o.TrimSilence) parts.Add("trimming long pauses");
        if (o.Denoise) parts.Add("denoising");
        if (o.Level) parts.Add("levelling");
        return parts.Count == 0 ? "Measuring loudness" : char.ToUpperInvariant(parts[0][0]) + string.Join(", ", parts)[1..];
    }

    /// <summary>The waveform in the audiowaveform (BBC, peaks.js) JSON format, version 2, plus the duration in seconds
    /// for players that take precomputed peaks (wavesurfer.js: <c>peaks: [data.map(v =&gt; v / 128)], duration</c>).</summary>
    internal static string PeaksJson(AudioState state) => JsonSerializer.Serialize(new
    {
        version = 2,
        channels = 1,
        sample_rate = PcmReader.SampleRate,
        samples_per_pixel = state.SamplesPerPixel,
        bits = 8,
        length = state.Peaks.Length / 2,
        duration = state.Encoded.DurationSeconds,
        data = state.Peaks,
    });

    /// <summary>Podcasting 2.0 JSON chapters (version 1.2.0).</summary>
    internal static string ChaptersJson(string title, IReadOnlyList<EpisodeChapter> chapters) => JsonSerializer.Serialize(new
    {
        version = "1.2.0",
        title,
        chapters = chapters.Select(c => new { startTime = c.Start, title = c.Title }),
    }, Indented);

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    private static readonly JsonSerializerOptions StateJson = new(JsonSerializerDefaults.Web);

    private static T Read<T>(string path) => JsonSerializer.Deserialize<T>(File.ReadAllText(path), StateJson)
        ?? throw new InvalidDataException($"Empty checkpoint state {Path.GetFileName(path)}.");

    private static Task Write<T>(string path, T value, CancellationToken ct) => File.WriteAllTextAsync(path, JsonSerializer.Serialize(value, StateJson), ct);

    private static double Seconds(Stopwatch clock) => Math.Round(clock.Elapsed.TotalSeconds, 2);

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static async Task AddTextAsync(PipelineContext context, string dir, string name, string contentType, string text, CancellationToken ct)
    {
        var path = Path.Combine(dir, name);
        await File.WriteAllTextAsync(path, text, new UTF8Encoding(false), ct);
        await context.Artifacts.AddAsync(name, contentType, path, ct);
    }
}

/// <summary>What the encode step leaves for the later steps (and a resumed attempt).</summary>
internal sealed record AudioState(ProcessedAudio Processed, EncodedAudio Encoded, IReadOnlyList<Span> Pauses, int[] Peaks, int SamplesPerPixel);

internal sealed record NotesState(EpisodeNotes Notes, IReadOnlyList<EpisodeChapter> Chapters);
