using System.Globalization;
using System.Text.Json;
using Kiln.Core.Common;
using Kiln.Core.Media;
using Kiln.Core.Media.Speech;
using Kiln.Core.Media.Translation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Kiln.Core.Pipelines.Dubbing;

/// <summary>
/// A voice track (or a video) in, the same programme spoken in several languages out. Speech to text runs once (a
/// checkpoint) and is shared; then each target language is a subtask — translate per segment, synthesize per segment
/// fitted to the original timing, place, mix over the ducked background, normalize, export — and a checkpoint, so a
/// retry redoes only unfinished languages. A language that fails does not lose the others: the job succeeds with it
/// listed, and only the languages that succeeded are charged (their estimate lines, as <see cref="PipelineOutcome.ActualCost"/>).
/// </summary>
public sealed partial class DubbingPipeline(ITranslator translator, IMultilingualSpeechSynthesizer synthesizer, IProcessRunner runner,
    IAudioTools audio, IOptions<DubbingSettings>? settings = null, ISpeechToTextEngines? speech = null, MediaOptions? media = null) : Pipeline<DubbingOptions>
{
    private readonly PremiumVoices _premium = new(media);

    public const string PipelineId = "dubbing";
    private const string TranscriptCheckpoint = "transcript";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public override string Id => PipelineId;
    public override string Name => "Dubbing";
    public override string Description =>
        "Dubs a voice track or a video into other languages: translated speech fitted to the original timing, mixed over the background, with captions.";
    public override IReadOnlyList<InputSlot> Slots { get; } =
    [
        new("voice", "Voice track or video", ["audio", "video"], Description: "The speech to dub. A video's picture is kept for the dubbed videos."),
        new("background", "Background (music and effects)", ["audio"], Required: false, Description: "Mixed under the dub and ducked while it speaks."),
    ];
    public override IReadOnlyList<string> Produces => ["dub-es.mp3", "dub-es.mp4", "captions-es.srt", "captions-es.vtt", "manifest.json"];
    public override PriceList DefaultPricing => DubbingPricing.Default;
    public override int DefaultTimeoutSeconds => 4 * 3600;
    public override string ResourceClass => ResourceClasses.Heavy;
    /// <summary>Dubbed media is large and usually downloaded at once: kept 48 hours unless the operator says otherwise.</summary>
    public override int? RetentionHours => 48;
    public override IReadOnlyList<string> RequiredTools =>
    [
        "ffmpeg", "ffprobe",
        .. translator is ApertiumTranslator ? new[] { "apertium" } : [],
        .. synthesizer is EspeakSpeechSynthesizer ? new[] { "espeak-ng" } : [],
    ];

    /// <summary>Longest voice input accepted (<see cref="DubbingSettings.MaxInputSeconds"/>).</summary>
    private double MaxInputSeconds => (settings?.Value ?? new DubbingSettings()).MaxInputSeconds;

    /// <summary>The languages this installation can dub <paramref name="source"/> into: translated and spoken.</summary>
    public IReadOnlyList<string> OfferedTargets(string source) =>
        (translator.Targets(source) ?? Languages.KnownCodes).Where(t => t != source && synthesizer.Speaks(t) && translator.Supports(source, t)).Order(StringComparer.Ordinal).ToList();

    protected override Error? Validate(DubbingOptions o)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var code in o.TargetLanguages)
        {
            if (!Languages.IsIso6391(code)) return InvalidOption("targetLanguages", $"'{code}' is not an ISO 639-1 language code (two lowercase letters, like es).");
            if (!seen.Add(code)) return InvalidOption("targetLanguages", $"'{code}' is listed twice.");
            if (code == o.SourceLanguage) return InvalidOption("targetLanguages", $"'{code}' is the source language.");
        }
        foreach (var f in o.CaptionFormats)
            if (f is not ("srt" or "vtt")) return InvalidOption("captionFormats", $"'{f}' is not a caption format: use srt and/or vtt.");
        if (VoiceProblem(o.Voice) is { } voiceError) return InvalidOption("voice", voiceError);
        foreach (var v in o.Voices ?? [])
        {
            var parts = v.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || !seen.Contains(parts[0]) || !IsVoice(parts[1]))
                return InvalidOption("voices", $"'{v}' is not language=voice for one of the target languages (like es=female).");
            if (VoiceProblem(parts[1]) is { } why) return InvalidOption("voices", why);
        }
        return null;
    }

    private static bool IsVoice(string voice) =>
        PremiumVoices.TryParse(voice, out _, out var name) ? SpeechVoices.IsValid(name) : SpeechVoices.IsValid(voice);

    /// <summary>Why a voice cannot be used here (malformed, or a premium engine this installation has not configured), or null.</summary>
    private string? VoiceProblem(string voice)
    {
        if (!IsVoice(voice)) return "A voice is male, female, an engine voice name or a premium voice as engine:voice (like openai:nova).";
        if (!PremiumVoices.TryParse(voice, out var engine, out _) || _premium.Engine(engine) is not null) return null;
        return _premium.Engines.Count == 0
            ? $"Premium voices are not set up on this installation, so '{voice}' cannot be used; choose male, female or an engine voice name."
            : $"'{engine}' is not a premium speech engine here; configured: {string.Join(", ", _premium.Engines)}.";
    }

    /// <summary>The voice each target language is spoken with: its override, else the job's voice.</summary>
    private static Dictionary<string, string> VoicesOf(DubbingOptions options)
    {
        var overrides = (options.Voices ?? []).Select(v => v.Split('=', 2, StringSplitOptions.TrimEntries)).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
        return options.TargetLanguages.ToDictionary(t => t, t => overrides.GetValueOrDefault(t, options.Voice), StringComparer.Ordinal);
    }

    /// <summary>The engine and voice name a language is spoken with: a premium engine for <c>engine:voice</c>, else the installed synthesizer.</summary>
    internal (IMultilingualSpeechSynthesizer Engine, string? Voice) SpeakerFor(string? voice) =>
        PremiumVoices.TryParse(voice, out var engine, out var name) && _premium.Engine(engine) is { } premium ? (premium, name) : (synthesizer, voice);

    public override Result<PipelineQuote> Plan(DubbingOptions options, InputSet<InputFacts> inputs)
    {
        if (inputs["voice"].Media is not { DurationSeconds: > 0 } media)
            return Error.Invalid("invalid_inputs", "The voice file's duration is unknown; upload it again so it can be inspected.");
        if (media.DurationSeconds > MaxInputSeconds)
            return Error.Unprocessable("input_too_long", string.Create(CultureInfo.InvariantCulture,
                $"The voice file is {media.DurationSeconds / 60:0} minutes long; dubbing takes files up to {MaxInputSeconds / 60:0} minutes."));
        if (media.Channels == 0 && inputs["voice"].Kind == "video")
            return Error.Unprocessable("no_audio", "The video has no audio track to dub.");
        var stt = speech?.Default;
        if (options.KnownSourceLanguage() is { } src)
        {
            if (stt is { Languages.Count: > 0 } && !stt.Languages.Contains(src))
                return InvalidOption("sourceLanguage", $"The speech engine ({stt.Name}) cannot hear '{src}'; it knows {string.Join(", ", stt.Languages.Order())}.");
            foreach (var target in options.TargetLanguages)
                if (Unsupported(src, target) is { } why) return InvalidOption("targetLanguages", why);
        }
        else if (stt is { DetectsLanguage: false })
            return InvalidOption("sourceLanguage", $"The speech engine ({stt.Name}) cannot detect the language, so \"auto\" does not work here: name the language of the speech (e.g. en).");
        var usage = new List<Usage>();
        var requires = new List<FeatureRequirement>();
        foreach (var (target, voice) in VoicesOf(options))
        {
            usage.AddRange(UsageOf(target, voice, media.DurationSeconds));
            if (!PremiumVoices.TryParse(voice, out _, out _)) continue;
            requires.Add(new FeatureRequirement(PremiumVoices.Feature, $"The premium voice '{voice}' ({Languages.Name(target)})"));
        }
        return Quote(options, [.. usage]) with { Requires = requires };
    }

    private string? Unsupported(string source, string target)
    {
        if (!translator.Supports(source, target))
        {
            var offered = OfferedTargets(source);
            return $"'{target}' ({Languages.Name(target)}) is not offered from '{source}' by the installed translation engine ({translator.Name})" +
                (offered.Count > 0 ? $"; offered: {string.Join(", ", offered)}." : ".");
        }
        if (!synthesizer.Speaks(target))
            return $"'{target}' ({Languages.Name(target)}) cannot be spoken by the installed speech synthesizer ({synthesizer.Name}).";
        return null;
    }

    public override async Task<PipelineOutcome> Run(PipelineContext context, DubbingOptions options, CancellationToken ct)
    {
        var mixer = new DubMixer(runner);
        var work = Directory.CreateDirectory(Path.Combine(context.ScratchDirectory, "dub")).FullName;
        var outDir = Directory.CreateDirectory(Path.Combine(context.ScratchDirectory, "out")).FullName;
        var voiceInput = context.Inputs["voice"];
        var prices = context.Services.GetService<PipelineCatalog>() is { } catalog && catalog.Find(Id) is not null ? catalog.Prices(this) : DefaultPricing;
        var inputSeconds = voiceInput.Facts.Media?.DurationSeconds ?? 0;
        var voices = VoicesOf(options);
        var languages = options.TargetLanguages.Select(code => new LanguageState(code, CostOf(prices, code, voices[code], inputSeconds))).ToList();
        var warnings = new List<string>();

        var existing = await context.Subtasks.ExistingAsync(ct);
        foreach (var l in languages)
            if (!existing.TryGetValue(l.Code, out var s) || s.Stage != SubtaskStages.Done)
                await ReportAsync(context, l, SubtaskStages.Queued, 0, ct);

        // 1. The voice as PCM (and whether it carries a picture), the background fitted to its length.
        var voiceWav = Path.Combine(work, "voice.wav");
        string? backgroundWav = null;
        bool hasVideo;
        double duration;
        using (var step = context.Progress.Step("prepare", 0.05))
        {
            await step.StartAsync("Reading the voice track", ct);
            if (!await mixer.HasStreamAsync(voiceInput.Path, 'a', ct))
                throw new PipelineException("no_audio", voiceInput.Kind == "video"
                    ? "The video has no audio track to dub." : "The voice file has no audio stream.");
            hasVideo = voiceInput.Kind == "video" && await mixer.HasStreamAsync(voiceInput.Path, 'v', ct);
            await mixer.ExtractAudioAsync(voiceInput.Path, voiceWav, ct);
            duration = await mixer.DurationAsync(voiceWav, ct);
            if (context.Inputs.Find("background") is { } background)
            {
                if (!await mixer.HasStreamAsync(background.Path, 'a', ct))
                    throw new PipelineException("no_audio", "The background file has no audio stream.");
                var bgLength = await mixer.DurationAsync(background.Path, ct);
                if (Math.Abs(bgLength - duration) > 0.5)
                    warnings.Add(bgLength > duration
                        ? FormattableString.Invariant($"The background ({bgLength:0.0} s) is longer than the voice ({duration:0.0} s); it was cut to the voice's length.")
                        : FormattableString.Invariant($"The background ({bgLength:0.0} s) is shorter than the voice ({duration:0.0} s); it was padded with silence."));
                backgroundWav = Path.Combine(work, "background.wav");
                await mixer.FitBackgroundAsync(background.Path, duration, backgroundWav, ct);
            }
        }
        foreach (var w in warnings) await context.Reporter.LogAsync(w, ct);

        // 2. Speech to text, once, shared by every language.
        var transcript = await TranscribeAsync(context, options, languages, voiceWav, work, ct);
        var source = transcript.Language;
        var segments = transcript.Segments.Where(s => !string.IsNullOrWhiteSpace(s.Text)).ToList();
        // Source captions split long segments into readable cues (the speech area's writers); target captions keep one cue per segment.
        var sourceCaptions = await WriteCaptionsAsync(context, outDir, source, Captions.Cues(transcript with { Segments = segments }), options.CaptionFormats, ct);

        // 3. Each language: a subtask and a checkpoint.
        var glossary = new Glossary(options.Glossary);
        var share = 0.65 / languages.Count;
        foreach (var language in languages)
        {
            using var step = context.Progress.Step($"dub-{language.Code}", share);
            var job = new LanguageJob(this, mixer, context, options, language, step, work)
            {
                Source = source, Segments = segments, Duration = duration, BackgroundWav = backgroundWav, VoiceWav = voiceWav,
                VideoPath = hasVideo && options.MuxVideo ? voiceInput.Path : null, Glossary = glossary,
                Voice = voices[language.Code],
            };
            await job.RunAsync(ct);
        }

        // 4. One video with every language, the manifest.
        string? multiTrack = null;
        var done = languages.Where(l => l.Result is { Status: "done" }).ToList();
        using (var step = context.Progress.Step("export", 0.05))
        {
            if (done.Count == 0)
                throw new PipelineException("dubbing_failed", "No language could be dubbed: " +
                    string.Join("; ", languages.Select(l => $"{Languages.Name(l.Code)}: {l.Result?.Error ?? "not run"}")));
            if (hasVideo && options.MultiTrackVideo && done.Count > 0)
            {
                await step.StartAsync("Writing one video with every language", ct);
                multiTrack = Path.Combine(outDir, "dub-all.mp4");
                await mixer.MuxAsync(voiceInput.Path, done.Select(l => (l.Mp3Path!, Languages.ToIso6392(l.Code), Languages.Name(l.Code))).ToList(), duration, multiTrack, ct);
                await context.Artifacts.AddAsync("dub-all.mp4", "video/mp4", multiTrack, ct);
            }
            var manifest = new DubbingManifest(source, Math.Round(duration, 3), transcript.Engine, translator.Name, synthesizer.Name, sourceCaptions,
                languages.Select(l => l.Result ?? new ManifestLanguage(l.Code, Languages.Name(l.Code), "failed", "Not run.", [], [], [], null, null)).ToList(),
                warnings, multiTrack is null ? null : "dub-all.mp4");
            var path = Path.Combine(outDir, "manifest.json");
            await File.WriteAllTextAsync(path, JsonSerializer.Serialize(manifest, Json), ct);
            await context.Artifacts.AddAsync("manifest.json", "application/json", path, ct);
        }

        var failed = languages.Where(l => l.Result is not { Status: "done" }).ToList();
        if (failed.Count > 0)
            await context.Reporter.LogAsync($"Dubbed {done.Count} of {languages.Count} languages; failed: " +
                string.Join("; ", failed.Select(l => $"{Languages.Name(l.Code)} ({l.Result?.Error})")) + ". Only the dubbed languages are charged.", ct);
        await context.Progress.DoneAsync(ct, failed.Count == 0 ? "Finished" : $"Finished: {done.Count} of {languages.Count} languages dubbed");
        var charged = prices.Price(done.SelectMany(l => UsageOf(l.Code, voices[l.Code], inputSeconds)).ToList()).Total;
        return new PipelineOutcome(charged);
    }

    private static long CostOf(PriceList prices, string code, string voice, double seconds) =>
        prices.Price(UsageOf(code, voice, seconds)).Lines.Where(l => l.Meter != "job").Sum(l => l.Credits);

    /// <summary>One language's estimate lines: its seconds, plus its premium-voice minutes when spoken by a premium voice.</summary>
    private static List<Usage> UsageOf(string code, string voice, double seconds) =>
        PremiumVoices.TryParse(voice, out _, out _) ? [DubbingPricing.For(code, seconds), DubbingPricing.Premium(code, voice, seconds)] : [DubbingPricing.For(code, seconds)];

    private async Task<Transcript> TranscribeAsync(PipelineContext context, DubbingOptions options, List<LanguageState> languages, string voiceWav, string work, CancellationToken ct)
    {
        var dir = Path.Combine(work, "transcript");
        var file = Path.Combine(dir, "transcript.json");
        using var step = context.Progress.Step("transcribe", 0.2);
        if (await context.Checkpoints.TryRestoreAsync(TranscriptCheckpoint, dir, ct) && File.Exists(file))
        {
            await context.Reporter.LogAsync("The transcript was made by an earlier attempt; reusing it.", ct);
            return JsonSerializer.Deserialize<Transcript>(await File.ReadAllTextAsync(file, ct), Json)!;
        }
        var engines = speech ?? context.Services.GetService<ISpeechToTextEngines>()
            ?? throw new PipelineException("tool_missing", "The server cannot run this job: no speech-to-text engine is configured.");
        var engine = engines.Default;
        foreach (var l in languages.Where(l => l.Result is null)) await ReportAsync(context, l, "transcribing", 5, ct);
        await step.StartAsync($"Transcribing the speech ({engine.Name})", ct);
        Transcript transcript;
        try
        {
            transcript = await engine.TranscribeAsync(voiceWav, options.KnownSourceLanguage(), ct);
            if (!transcript.Segments.Any(s => !string.IsNullOrWhiteSpace(s.Text)))
                throw new NoSpeechFoundException("No speech was found in the voice track.");
        }
        catch (NoSpeechFoundException ex)
        {
            foreach (var l in languages) await ReportAsync(context, l, SubtaskStages.Failed, 0, ct, ex.Message);
            throw;
        }
        if (string.IsNullOrEmpty(transcript.Language))
        {
            var named = options.KnownSourceLanguage()
                ?? throw new PipelineException("language_not_detected", $"The speech engine ({transcript.Engine}) did not say which language it heard; name the source language and run the job again.");
            transcript = transcript with { Language = named };
        }
        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(transcript, Json), ct);
        await context.Checkpoints.SaveAsync(TranscriptCheckpoint, dir, ct);
        await context.Reporter.LogAsync(string.Create(CultureInfo.InvariantCulture,
            $"Transcribed {transcript.Segments.Count} segment(s) of {Languages.Name(transcript.Language)} speech with {transcript.Engine}."), ct);
        return transcript;
    }

    private static async Task<IReadOnlyList<string>> WriteCaptionsAsync(PipelineContext context, string outDir, string language, IReadOnlyList<CaptionCue> cues,
        IReadOnlyList<string> formats, CancellationToken ct)
    {
        var names = new List<string>();
        foreach (var format in formats.Distinct())
        {
            var name = $"captions-{language}.{format}";
            var path = Path.Combine(outDir, name);
            await File.WriteAllTextAsync(path, format == "srt" ? Captions.ToSrt(cues) : Captions.ToWebVtt(cues), ct);
            await context.Artifacts.AddAsync(name, format == "srt" ? "application/x-subrip" : "text/vtt", path, ct);
            names.Add(name);
        }
        return names;
    }

    internal static Task ReportAsync(PipelineContext context, LanguageState l, string stage, int progress, CancellationToken ct,
        string? error = null, IReadOnlyList<string>? artifacts = null) =>
        context.Subtasks.ReportAsync(new SubtaskUpdate(l.Code, Languages.Name(l.Code), stage, progress, l.Cost, error, artifacts), ct);

    internal ITranslator Translator => translator;
    internal IMultilingualSpeechSynthesizer Synthesizer => synthesizer;
    internal IAudioTools Audio => audio;
}

/// <summary>One target language's cost and, once it is finished, its result (and its MP3 for the multi-language video).</summary>
internal sealed class LanguageState(string code, long cost)
{
    public string Code { get; } = code;
    public long Cost { get; } = cost;
    public ManifestLanguage? Result { get; set; }
    public string? Mp3Path { get; set; }
}
