using System.Globalization;
using System.Text.Json;
using Kiln.Core.Media;
using Kiln.Core.Media.Speech;
using Kiln.Core.Media.Translation;
using Microsoft.Extensions.Logging;

namespace Kiln.Core.Pipelines.Dubbing;

/// <summary>
/// One target language: translate → synthesize per segment → fit and place → mix → normalize → export, reported as a
/// subtask and saved as a checkpoint (<c>lang-{code}</c>) so a later attempt reuses it. A permanent failure marks the
/// language failed and lets the others go on; a transient one with attempts left fails the attempt (the finished
/// languages stay checkpointed).
/// </summary>
internal sealed class LanguageJob(DubbingPipeline pipeline, DubMixer mixer, PipelineContext context, DubbingOptions options,
    LanguageState language, ProgressStep step, string work)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private const string ResultFile = "language.json";

    public required string Source { get; init; }
    public required IReadOnlyList<TranscriptSegment> Segments { get; init; }
    public required double Duration { get; init; }
    public required string VoiceWav { get; init; }
    public string? BackgroundWav { get; init; }
    public string? VideoPath { get; init; }
    public required Glossary Glossary { get; init; }
    public string? Voice { get; init; }

    private string Code => language.Code;
    private string LanguageName => Languages.Name(Code);
    private int _lastReported = -1;

    public async Task RunAsync(CancellationToken ct)
    {
        var checkpoint = $"lang-{Code}";
        var dir = Path.Combine(work, checkpoint);
        if (await context.Checkpoints.TryRestoreAsync(checkpoint, dir, ct) && File.Exists(Path.Combine(dir, ResultFile)))
        {
            var restored = JsonSerializer.Deserialize<ManifestLanguage>(await File.ReadAllTextAsync(Path.Combine(dir, ResultFile), ct), Json)!;
            await context.Reporter.LogAsync($"{LanguageName} was dubbed by an earlier attempt; reusing it.", ct);
            await PublishAsync(dir, restored, ct);
            return;
        }
        Directory.CreateDirectory(dir);
        try
        {
            var result = await DubAsync(dir, ct);
            await File.WriteAllTextAsync(Path.Combine(dir, ResultFile), JsonSerializer.Serialize(result, Json), ct);
            await context.Checkpoints.SaveAsync(checkpoint, dir, ct);
            await PublishAsync(dir, result, ct);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            var mapped = ex as PipelineException ?? PipelineHost.Classify(ex);
            if (mapped is null) context.Logger.LogError(ex, "Dubbing job {JobId} into {Language} failed unexpectedly", context.JobId, Code);
            if (mapped is { Transient: true } && context.Attempt < context.MaxAttempts)
            {
                await DubbingPipeline.ReportAsync(context, language, SubtaskStages.Queued, 0, ct, $"Will be retried: {mapped.Message}");
                throw mapped;
            }
            var message = mapped?.Message ?? $"Dubbing into {LanguageName} failed unexpectedly.";
            language.Result = new ManifestLanguage(Code, LanguageName, "failed", message, [], [], [], null, null);
            await DubbingPipeline.ReportAsync(context, language, SubtaskStages.Failed, _lastReported < 0 ? 0 : _lastReported, ct, message);
            await context.Reporter.LogAsync($"{LanguageName} failed: {message}", ct);
        }
    }

    /// <summary>Adds a finished language's files as artifacts and marks its subtask done.</summary>
    private async Task PublishAsync(string dir, ManifestLanguage result, CancellationToken ct)
    {
        foreach (var name in result.Files)
            await context.Artifacts.AddAsync(name, ContentType(name), Path.Combine(dir, name), ct);
        language.Result = result;
        language.Mp3Path = Path.Combine(dir, $"dub-{Code}.mp3");
        await DubbingPipeline.ReportAsync(context, language, SubtaskStages.Done, 100, ct, artifacts: result.Files);
    }

    private async Task<ManifestLanguage> DubAsync(string dir, CancellationToken ct)
    {
        if (!pipeline.Translator.Supports(Source, Code))
            throw new PipelineException("language_not_offered", $"{LanguageName} is not offered from {Languages.Name(Source)} by the translation engine ({pipeline.Translator.Name}).");
        var (speaker, voice) = pipeline.SpeakerFor(Voice);
        if (!speaker.Speaks(Code))
            throw new PipelineException("language_not_offered", $"The speech synthesizer ({speaker.Name}) cannot speak {LanguageName}.");

        await StageAsync("translating", 5, $"Translating into {LanguageName}", ct);
        var texts = await Glossary.TranslateAsync(pipeline.Translator, Segments.Select(s => s.Text.Trim()).ToList(), Source, Code, ct);

        await StageAsync("synthesizing", 15, $"Speaking {LanguageName}", ct);
        var placed = new List<PlacedSegment>();
        var manifest = new List<ManifestSegment>();
        var warnings = new List<string>();
        var segDir = Directory.CreateDirectory(Path.Combine(work, $"segments-{Code}")).FullName;
        for (var i = 0; i < Segments.Count; i++)
        {
            var s = Segments[i];
            var text = texts[i].Trim();
            if (text.Length == 0) { warnings.Add($"Segment {i + 1} translated to nothing and was left silent."); continue; }
            var wav = Path.Combine(segDir, $"seg-{i:D4}.wav");
            await speaker.SynthesizeAsync(text, Code, voice, wav, ct);
            var spoken = await mixer.DurationAsync(wav, ct);
            var nextStart = i + 1 < Segments.Count ? Segments[i + 1].Start : Duration;
            var fit = TimingFit.Fit(spoken, s.Start, s.End, Math.Min(nextStart, Duration));
            placed.Add(new PlacedSegment(i, wav, s.Start, fit.Tempo, fit.Length, fit.Fitted, fit.UsedGap));
            manifest.Add(new ManifestSegment(i, Round(s.Start), Round(s.End), s.Text.Trim(), text, Round(s.Start), Round(s.Start + fit.Length),
                Math.Round(fit.Tempo, 3), fit.Fitted, fit.UsedGap));
            if (!fit.Fitted)
                warnings.Add(string.Create(CultureInfo.InvariantCulture,
                    $"Segment {i + 1} ({s.Start:0.0}–{s.End:0.0} s) was {spoken:0.0} s of speech for {fit.Length:0.0} s before the next segment; its end was cut."));
            await StageAsync("synthesizing", 15 + 45 * (i + 1) / Segments.Count, $"Speaking {LanguageName}: segment {i + 1} of {Segments.Count}", ct);
        }

        await StageAsync("mixing", 62, $"Mixing {LanguageName}", ct);
        var dubTrack = Path.Combine(segDir, "dub.wav");
        await mixer.PlaceAsync(placed, Duration, dubTrack, ct);
        var mixed = Path.Combine(segDir, "mix.wav");
        await mixer.MixAsync(dubTrack, BackgroundWav, options.KeepOriginalVoice ? VoiceWav : null, options.OriginalVoiceDb, Duration, mixed, ct);
        var target = new LoudnessTarget(options.LoudnessTarget, -1);
        var mp3Name = $"dub-{Code}.mp3";
        var mp3 = Path.Combine(dir, mp3Name);
        await pipeline.Audio.NormalizeAsync(mixed, mp3, target, ct);
        var loudness = await pipeline.Audio.MeasureLoudnessAsync(mp3, ct);
        if (!target.IsMet(loudness))
            warnings.Add(FormattableString.Invariant(
                $"The dub came out at {loudness.IntegratedLufs:0.0} LUFS / {loudness.TruePeakDbtp:0.0} dBTP, outside {target.IntegratedLufs:0} LUFS ±1 LU under {target.TruePeakDbtp:0} dBTP."));
        var files = new List<string> { mp3Name };
        if (options.Wav)
        {
            var wavName = $"dub-{Code}.wav";
            await pipeline.Audio.NormalizeAsync(mixed, Path.Combine(dir, wavName), target, ct);
            files.Add(wavName);
        }

        await StageAsync("exporting", 85, $"Exporting {LanguageName}", ct);
        if (VideoPath is not null)
        {
            var mp4Name = $"dub-{Code}.mp4";
            await mixer.MuxAsync(VideoPath, [(mp3, Languages.ToIso6392(Code), LanguageName)], Duration, Path.Combine(dir, mp4Name), ct);
            files.Add(mp4Name);
        }
        var cues = manifest.Select(m => new CaptionCue(m.Start, m.End, m.Text)).ToList();
        foreach (var format in options.CaptionFormats.Distinct())
        {
            var name = $"captions-{Code}.{format}";
            await File.WriteAllTextAsync(Path.Combine(dir, name), format == "srt" ? Captions.ToSrt(cues) : Captions.ToWebVtt(cues), ct);
            files.Add(name);
        }
        var stretched = manifest.Count(m => m.Tempo > 1.001);
        var intoGap = manifest.Count(m => m.UsedGap && m.Fitted);
        var cut = manifest.Count(m => !m.Fitted);
        await context.Reporter.LogAsync(string.Create(CultureInfo.InvariantCulture,
            $"{LanguageName}: {manifest.Count} segment(s), {manifest.Count - cut} fitted ({stretched} time-stretched, {intoGap} into the following pause), {cut} cut; " +
            $"{loudness.IntegratedLufs:0.0} LUFS, true peak {loudness.TruePeakDbtp:0.0} dBTP."), ct);
        foreach (var w in warnings) await context.Reporter.LogAsync($"{LanguageName}: {w}", ct);
        return new ManifestLanguage(Code, LanguageName, "done", null, files, manifest, warnings,
            Math.Round(loudness.IntegratedLufs, 1), Math.Round(loudness.TruePeakDbtp, 1));
    }

    private async Task StageAsync(string stage, int progress, string message, CancellationToken ct)
    {
        // One row write per few percent: a long talk has hundreds of segments.
        if (progress - _lastReported < 4 && progress < 100 && _lastReported >= 0 && stage == _lastStage) return;
        _lastReported = progress;
        _lastStage = stage;
        await DubbingPipeline.ReportAsync(context, language, stage, progress, ct);
        await step.ReportAsync(progress / 100.0, message, ct);
    }

    private string? _lastStage;

    private static double Round(double v) => Math.Round(v, 3);

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".mp3" => "audio/mpeg",
        ".wav" => "audio/wav",
        ".mp4" => "video/mp4",
        ".srt" => "application/x-subrip",
        ".vtt" => "text/vtt",
        _ => "application/octet-stream",
    };
}
