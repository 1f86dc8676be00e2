using System.Globalization;
using System.Text;
using Kiln.Core.Media;

namespace Kiln.Core.Pipelines.PodcastEpisode;

/// <summary>What the process pass did and measured; kept in the checkpoint so the encode pass can resume from it.</summary>
public sealed record ProcessedAudio(
    double InputSeconds, int Channels, AudioLevels Input, double NoiseReductionFloorDb, IReadOnlyList<Span> Cuts,
    double IntegratedLufs, bool Denoised, bool Trimmed, bool Levelled)
{
    public double RemovedSeconds => SilenceCuts.Removed(Cuts);
}

/// <summary>The encoded episode as measured from the MP3 itself.</summary>
public sealed record EncodedAudio(double DurationSeconds, double IntegratedLufs, double TruePeakDbtp, double GainDb, double CeilingDbfs, int Encodes);

/// <summary>
/// The episode's sound in three ffmpeg passes: (1) decode once to measure the noise floor and find the pauses;
/// (2) one filter graph cuts long pauses, denoises with <c>afftdn</c> set from that floor, levels
/// (<c>dynaudnorm</c> + <c>acompressor</c>) and meters loudness (<c>ebur128</c>); (3) gain to the target and a peak
/// limiter straight into the encoders. A fourth decode of the MP3 checks the result (and gives peaks and pauses).
/// The naive chain runs each filter as its own pass and a two-pass <c>loudnorm</c> at 192 kHz.
/// </summary>
public sealed partial class EpisodeAudio(IProcessRunner runner)
{
    public const int OutputSampleRate = 44100;
    public const int PeakPixels = 1000;
    // Measured: afftdn's nf sits ~18 dB above the 50 ms RMS floor (pink and white noise at −50 dBFS RMS were
    // reduced by 17 dB with nf = −32, by 2 dB with nf = −50).
    private const double NoiseFloorOffsetDb = 18;
    private const double NoiseReductionDb = 20;
    // MP3 encoding adds a few tenths of a dB of inter-sample peak over the limiter's sample ceiling.
    private const double PeakMarginDb = 1.0;
    private const string Hint = "install ffmpeg";
    // LAME at 128 kbps drops noise-like detail the loudness meter counts: denoised speech measured 0.5 LU quieter as MP3
    // than as PCM (AAC: no loss). Aiming this much higher lands most first encodes within 0.3 LU; the check corrects the rest.
    private const double Mp3LossDb = 0.3;

    /// <summary>Pass 1: the input's levels and pauses. Throws a clear failure for files that hold no decodable audio.</summary>
    public static async Task<(PcmScan Scan, AudioLevels Levels, IReadOnlyList<Span> Pauses)> AnalyzeAsync(string input, double expectedSeconds, CancellationToken ct)
    {
        var scan = await PcmReader.ScanAsync(input, expectedSeconds, 0, null, ct);
        if (scan.ExitCode != 0 && scan.Samples == 0)
            throw new PipelineException("invalid_audio", "The audio could not be decoded: the file is damaged or not a supported audio or video format.");
        if (scan.Samples < PcmReader.SampleRate / 10)
            throw new PipelineException("empty_audio", "The recording is empty (shorter than a tenth of a second); there is nothing to process.");
        var levels = AudioLevels.Measure(scan.WindowDb);
        if (levels.SpeechDb < -90)
            throw new PipelineException("silent_audio", "The recording is silent; there is nothing to process.");
        return (scan, levels, levels.FindPauses(scan.WindowDb));
    }

    /// <summary>Pass 2: cut, denoise, level and meter into a WAV.</summary>
    /// <param name="speechWav">Receives the same timeline, cut but not denoised or levelled, as 16 kHz mono for the
    /// speech engine: afftdn's residue and the compressor cost pocketsphinx words (measured on the bench script).</param>
    public async Task<ProcessedAudio> ProcessAsync(string input, string outputWav, string speechWav, PodcastEpisodeOptions options, int channels,
        AudioLevels levels, IReadOnlyList<Span> pauses, double inputSeconds, CancellationToken ct)
    {
        // Noise that barely sits under the speech is not a floor to cut by: trimming and denoising need a few dB of gap.
        var separable = levels.SignalToNoiseDb >= 10;
        var cuts = options.TrimSilence && separable ? SilenceCuts.Plan(pauses, options.SilenceThresholdSeconds, inputSeconds) : [];
        var nf = Math.Clamp(levels.NoiseFloorDb + NoiseFloorOffsetDb, -80, -20);
        var denoise = options.Denoise && levels.NoiseFloorDb > -100;
        var filters = new List<string>
        {
            $"[0:a:0]aresample={OutputSampleRate}",
            $"aformat=sample_fmts=fltp:channel_layouts={(channels == 1 ? "mono" : "stereo")}",
        };
        if (cuts.Count > 0)
            // 10 ms frames: aselect keeps or drops whole frames.
            filters.AddRange(["asetnsamples=n=441:p=0", $"aselect='{SilenceCuts.KeepExpression(cuts)}'", "asetpts=N/SR/TB"]);
        filters.Add("asplit=2[speech][main];[speech]aresample=16000,aformat=sample_fmts=s16:channel_layouts=mono[asr];[main]anull");
        if (denoise) filters.Add(Inv($"afftdn=nf={Math.Round(nf, 1)}:nr={NoiseReductionDb}"));
        if (options.Level)
        {
            // Frames quieter than the input's floor are not raised (pauses stay pauses); then a compressor on the peaks only
            // lowers the crest factor so −16 LUFS fits under a −1 dBTP ceiling without the limiter working hard. A lower
            // threshold (−24 dBFS, ratio 4) was tried: it squeezed speech toward the noise and left pauses 12 dB under it.
            var threshold = Math.Clamp(Math.Pow(10, levels.NoiseFloorDb / 20), 0.0001, 0.05);
            filters.Add(Inv($"dynaudnorm=f=250:g=15:p=0.9:m=10:t={Math.Round(threshold, 5)}"));
            filters.Add("acompressor=threshold=0.25:ratio=3:attack=3:release=60:knee=4");
            // dynaudnorm leaves speech near −21 LUFS; a limiter at −8 dBFS here (before the meter) caps the peak-to-loudness
            // ratio near 13 dB, so the final gain lands on target without the final limiter taking loudness away
            // (measured: without it, the first encode came out 0.4 LU low and needed a second).
            filters.Add("alimiter=limit=0.4:attack=3:release=50:level=false");
        }
        filters.Add("ebur128=framelog=verbose[out]");
        var script = outputWav + ".filter";
        await File.WriteAllTextAsync(script, string.Join(",\n", filters), ct);
        try
        {
            var codec = options.Level ? "pcm_s16le" : "pcm_f32le";
            var result = await FfmpegAsync(["-i", input, "-filter_complex_script", script,
                "-map", "[out]", "-c:a", codec, outputWav, "-map", "[asr]", "-c:a", "pcm_s16le", speechWav], ct);
            var summary = result.Stderr.LastIndexOf("Summary:", StringComparison.Ordinal);
            var integrated = summary < 0 ? null : IntegratedLine().Match(result.Stderr, summary) is { Success: true } m
                ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : (double?)null;
            if (integrated is null) throw new ToolFailedException("ffmpeg", 0, "no ebur128 summary in ffmpeg output");
            return new ProcessedAudio(inputSeconds, channels == 1 ? 1 : 2, levels, denoise ? nf : 0, cuts, integrated.Value,
                denoise, cuts.Count > 0, options.Level);
        }
        finally { File.Delete(script); }
    }

    /// <summary>
    /// Pass 3: gain and limiter into the MP3 (and the AAC copy), then the MP3 is decoded and measured; when the encoder
    /// pushed it off target (rare), the gain or ceiling is corrected and it is encoded again, at most twice.
    /// </summary>
    public async Task<(EncodedAudio Encoded, PcmScan Scan)> EncodeAsync(string processedWav, ProcessedAudio processed, Media.LoudnessTarget target,
        string mp3, string? m4a, Func<string, Task> log, CancellationToken ct)
    {
        var silent = double.IsInfinity(processed.IntegratedLufs) || processed.IntegratedLufs < -70;
        var gain = silent ? 0 : target.IntegratedLufs - processed.IntegratedLufs + Mp3LossDb;
        var ceiling = target.TruePeakDbtp - PeakMarginDb;
        for (var attempt = 1; ; attempt++)
        {
            var limit = Math.Clamp(Math.Pow(10, ceiling / 20), 0.0625, 1);
            var chain = Inv($"volume={Math.Round(gain, 2)}dB,alimiter=limit={Math.Round(limit, 4)}:attack=5:release=50:level=false");
            var channels = processed.Channels.ToString(CultureInfo.InvariantCulture);
            List<string> args = ["-i", processedWav, "-filter_complex", $"[0:a]{chain}{(m4a is null ? "[m]" : ",asplit=2[m][a]")}",
                "-map", "[m]", "-map_metadata", "-1", "-ac", channels, "-ar", Inv($"{OutputSampleRate}"), "-c:a", "libmp3lame", "-b:a", "128k", mp3];
            if (m4a is not null)
                args.AddRange(["-map", "[a]", "-map_metadata", "-1", "-ac", channels, "-ar", Inv($"{OutputSampleRate}"), "-c:a", "aac", "-b:a", processed.Channels == 1 ? "96k" : "128k", "-movflags", "+faststart", m4a]);
            await FfmpegAsync(args, ct);

            var expected = processed.InputSeconds - processed.RemovedSeconds;
            var scan = await PcmReader.ScanAsync(mp3, expected, PeakPixels, "ebur128=peak=true:framelog=verbose", ct);
            if (scan.ExitCode != 0) throw new ToolFailedException("ffmpeg", scan.ExitCode, scan.LastError);
            var m = AudioTools.ParseEbur128(scan.Log) ?? throw new ToolFailedException("ffmpeg", 0, "no ebur128 summary in ffmpeg output");
            var encoded = new EncodedAudio(Math.Round(scan.DurationSeconds, 3), m.IntegratedLufs, m.TruePeakDbtp, Math.Round(gain, 2), Math.Round(ceiling, 2), attempt);
            if (silent || attempt >= 3 || (Math.Abs(m.IntegratedLufs - target.IntegratedLufs) <= 0.3 && m.TruePeakDbtp <= target.TruePeakDbtp))
                return (encoded, scan);
            await log(Inv($"Encode {attempt}: {m.IntegratedLufs:0.0} LUFS, {m.TruePeakDbtp:0.0} dBTP with gain {gain:0.00} dB and ceiling {ceiling:0.0} dBFS; correcting."));
            gain += target.IntegratedLufs - m.IntegratedLufs;
            if (m.TruePeakDbtp > target.TruePeakDbtp) ceiling -= m.TruePeakDbtp - target.TruePeakDbtp + 0.2;
        }
    }

    /// <summary>Artwork for the tags: one frame, JPEG, at most 1400 px wide (feeds serve the full-size image themselves).</summary>
    public async Task<string?> PrepareArtworkAsync(string image, string directory, CancellationToken ct)
    {
        var cover = Path.Combine(directory, "cover.jpg");
        var result = await runner.RunAsync(new ProcessSpec("ffmpeg",
            ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", image, "-frames:v", "1", "-vf", "scale='min(1400,iw)':-2", "-q:v", "3", cover])
            { Timeout = TimeSpan.FromMinutes(2), InstallHint = Hint }, ct);
        return result.Succeeded && File.Exists(cover) ? cover : null;
    }

    /// <summary>
    /// Writes the tags by stream copy (no re-encode): title, album (show), artist, chapters (ID3v2.3 CHAP/CTOC in the
    /// MP3, chapter atoms in the M4A) and the artwork (APIC / covr).
    /// </summary>
    public async Task TagAsync(string input, string output, EpisodeTags tags, IReadOnlyList<EpisodeChapter> chapters, double duration, string? cover, CancellationToken ct)
    {
        var meta = output + ".ffmeta";
        await File.WriteAllTextAsync(meta, FfMetadata(tags, chapters, duration), new UTF8Encoding(false), ct);
        try
        {
            var mp4 = output.EndsWith(".m4a", StringComparison.OrdinalIgnoreCase);
            List<string> args = ["-i", input, "-f", "ffmetadata", "-i", meta];
            if (cover is not null) args.AddRange(["-i", cover]);
            args.AddRange(["-map", "0:a", "-map_metadata", "1", "-map_chapters", "1"]);
            if (cover is not null)
            {
                args.AddRange(["-map", "2:v", "-disposition:v:0", "attached_pic"]);
                if (!mp4) args.AddRange(["-metadata:s:v", "title=Cover", "-metadata:s:v", "comment=Cover (front)"]);
            }
            args.AddRange(["-c", "copy"]);
            args.AddRange(mp4 ? ["-movflags", "+faststart"] : ["-id3v2_version", "3", "-write_id3v1", "0"]);
            args.Add(output);
            await FfmpegAsync(args, ct);
        }
        finally { File.Delete(meta); }
    }

    /// <summary>An <c>;FFMETADATA1</c> file: global tags, then one [CHAPTER] per chapter in milliseconds.</summary>
    internal static string FfMetadata(EpisodeTags tags, IReadOnlyList<EpisodeChapter> chapters, double duration)
    {
        var sb = new StringBuilder(";FFMETADATA1\n");
        void Tag(string key, string? value) { if (!string.IsNullOrWhiteSpace(value)) sb.Append(key).Append('=').Append(Escape(value)).Append('\n'); }
        Tag("title", tags.Title);
        Tag("album", tags.Album);
        Tag("artist", tags.Artist);
        Tag("album_artist", tags.Artist);
        Tag("genre", "Podcast");
        var ends = chapters.Skip(1).Select(c => c.Start).Append(duration).ToList();
        for (var i = 0; i < chapters.Count; i++)
        {
            var start = (long)Math.Round(chapters[i].Start * 1000);
            var end = Math.Max(start + 1, (long)Math.Round(ends[i] * 1000));
            sb.Append(CultureInfo.InvariantCulture, $"[CHAPTER]\nTIMEBASE=1/1000\nSTART={start}\nEND={end}\n");
            Tag("title", chapters[i].Title);
        }
        return sb.ToString();
    }

    private static string Escape(string value) =>
        new StringBuilder(value.Length).AppendJoin("", value.ReplaceLineEndings(" ").Select(c => c is '=' or ';' or '#' or '\\' ? $"\\{c}" : c.ToString())).ToString();

    private async Task<ProcessResult> FfmpegAsync(IReadOnlyList<string> args, CancellationToken ct) =>
        ToolFailedException.EnsureSuccess(
            await runner.RunAsync(new ProcessSpec("ffmpeg", ["-nostdin", "-hide_banner", "-nostats", "-y", .. args]) { Timeout = TimeSpan.FromHours(2), InstallHint = Hint }, ct),
            "ffmpeg");

    [System.Text.RegularExpressions.GeneratedRegex(@"I:\s*(-?[\d.]+)\s*LUFS")]
    private static partial System.Text.RegularExpressions.Regex IntegratedLine();

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

/// <summary>The tags written into the episode files.</summary>
public sealed record EpisodeTags(string Title, string? Album, string? Artist);
