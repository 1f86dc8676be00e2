using System.Globalization;
using System.Text;
using Kiln.Core.Media;

namespace Kiln.Core.Pipelines.Dubbing;

/// <summary>A synthesized segment and where it goes: its timing in the source and the fitted timing of the dub.</summary>
/// <param name="Tempo">The atempo factor applied (1 = natural speed).</param>
/// <param name="Length">Seconds the placed speech lasts after stretching (and cutting, when it could not fit).</param>
/// <param name="Fitted">False when even 1.25× and the following gap were not enough, and the end was cut.</param>
public sealed record PlacedSegment(int Index, string WavPath, double Start, double Tempo, double Length, bool Fitted, bool UsedGap)
{
    public double End => Start + Length;
}

/// <summary>
/// Fits a synthesized segment into the source's timing: natural speed when it fits; time-stretched up to 1.25× to fit
/// the segment; else into the pause that follows (never into the next segment), up to 1.25×; else cut at the next segment.
/// </summary>
public static class TimingFit
{
    public const double MaxTempo = 1.25;
    // A breath between the end of one dubbed segment and the start of the next.
    private const double Margin = 0.05;

    public static (double Tempo, double Length, bool Fitted, bool UsedGap) Fit(double spoken, double start, double end, double nextStart)
    {
        var slot = Math.Max(0.1, end - start);
        var available = Math.Max(slot, nextStart - start - Margin);
        if (spoken <= slot) return (1, spoken, true, false);
        if (spoken / slot <= MaxTempo) return (spoken / slot, slot, true, false);
        if (spoken <= available) return (1, spoken, true, true);
        var tempo = spoken / available;
        return tempo <= MaxTempo ? (tempo, available, true, true) : (MaxTempo, available, false, true);
    }
}

/// <summary>The ffmpeg work of a dub: extraction, placement in one filter graph, ducking mix, video mux.</summary>
public sealed class DubMixer(IProcessRunner runner)
{
    public const int SampleRate = 44100;
    // ffmpeg keeps every input open: place in chunks so a long talk stays well within file descriptor limits.
    private const int InputsPerPass = 120;

    public async Task<bool> HasStreamAsync(string path, char type, CancellationToken ct)
    {
        var r = await ToolAsync("ffprobe", ["-v", "error", "-select_streams", type.ToString(), "-show_entries", "stream=index,codec_type:stream_disposition=attached_pic", "-of", "csv=p=0", path], ct);
        // An attached picture (cover art) is not a video.
        return r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Any(l => type != 'v' || !l.EndsWith(",1", StringComparison.Ordinal));
    }

    public async Task<double> DurationAsync(string path, CancellationToken ct)
    {
        var r = await ToolAsync("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "default=noprint_wrappers=1:nokey=1", path], ct);
        return double.TryParse(r.Stdout.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : throw new ToolFailedException("ffprobe", 0, "no duration");
    }

    /// <summary>The first audio stream as mono PCM at 44.1 kHz.</summary>
    public Task ExtractAudioAsync(string input, string wav, CancellationToken ct) =>
        FfmpegAsync(["-i", input, "-map", "0:a:0", "-vn", "-ac", "1", "-ar", Inv(SampleRate), "-c:a", "pcm_s16le", wav], ct);

    /// <summary>The background as mono PCM exactly <paramref name="duration"/> long (padded with silence or cut).</summary>
    public Task FitBackgroundAsync(string input, double duration, string wav, CancellationToken ct) =>
        FfmpegAsync(["-i", input, "-map", "0:a:0", "-vn", "-af", $"apad,atrim=0:{Inv(duration)}", "-ac", "1", "-ar", Inv(SampleRate), "-c:a", "pcm_s16le", wav], ct);

    /// <summary>Places every segment at its start, fitted, in one filter graph per <see cref="InputsPerPass"/> segments,
    /// into a mono track exactly <paramref name="duration"/> long.</summary>
    public async Task PlaceAsync(IReadOnlyList<PlacedSegment> segments, double duration, string outWav, CancellationToken ct)
    {
        if (segments.Count == 0)
        {
            await FfmpegAsync(["-f", "lavfi", "-i", $"anullsrc=r={SampleRate}:cl=mono", "-t", Inv(duration), "-c:a", "pcm_s16le", outWav], ct);
            return;
        }
        var chunks = segments.Chunk(InputsPerPass).ToList();
        var parts = new List<string>();
        for (var c = 0; c < chunks.Count; c++)
        {
            var part = chunks.Count == 1 ? outWav : $"{outWav}.part{c}.wav";
            await PlaceChunkAsync(chunks[c], duration, part, ct);
            parts.Add(part);
        }
        if (chunks.Count > 1)
        {
            await MixTracksAsync(parts, duration, outWav, ct);
            foreach (var p in parts) File.Delete(p);
        }
    }

    private async Task PlaceChunkAsync(PlacedSegment[] segments, double duration, string outWav, CancellationToken ct)
    {
        var graph = new StringBuilder();
        var args = new List<string>();
        for (var i = 0; i < segments.Length; i++)
        {
            var s = segments[i];
            args.Add("-i"); args.Add(s.WavPath);
            var fade = Math.Min(0.03, s.Length / 4);
            graph.Append(CultureInfo.InvariantCulture, $"[{i}:a]aresample={SampleRate},aformat=channel_layouts=mono,");
            if (Math.Abs(s.Tempo - 1) > 0.001) graph.Append(CultureInfo.InvariantCulture, $"atempo={s.Tempo:0.####},");
            graph.Append(CultureInfo.InvariantCulture,
                $"atrim=0:{s.Length:0.####},afade=t=out:st={Math.Max(0, s.Length - fade):0.####}:d={fade:0.####},adelay={Math.Round(s.Start * 1000)}:all=1[s{i}];");
        }
        for (var i = 0; i < segments.Length; i++) graph.Append(CultureInfo.InvariantCulture, $"[s{i}]");
        graph.Append(CultureInfo.InvariantCulture, $"amix=inputs={segments.Length}:normalize=0:dropout_transition=0,apad,atrim=0:{duration:0.####}[out]");
        var script = outWav + ".graph.txt";
        await File.WriteAllTextAsync(script, graph.ToString(), ct);
        try
        {
            await FfmpegAsync([.. args, "-filter_complex_script", script, "-map", "[out]", "-ac", "1", "-ar", Inv(SampleRate), "-c:a", "pcm_s16le", outWav], ct);
        }
        finally { File.Delete(script); }
    }

    private Task<ProcessResult> MixTracksAsync(List<string> tracks, double duration, string outWav, CancellationToken ct)
    {
        var args = tracks.SelectMany(t => new[] { "-i", t }).ToList();
        var inputs = string.Concat(Enumerable.Range(0, tracks.Count).Select(i => $"[{i}:a]"));
        return FfmpegAsync([.. args, "-filter_complex", $"{inputs}amix=inputs={tracks.Count}:normalize=0,atrim=0:{Inv(duration)}[out]", "-map", "[out]",
            "-ac", "1", "-ar", Inv(SampleRate), "-c:a", "pcm_s16le", outWav], ct);
    }

    /// <summary>
    /// The dub over the background, the background ducked under the dub (sidechaincompress keyed by the dub), the
    /// original voice optionally kept at <paramref name="originalVoiceDb"/>; exactly <paramref name="duration"/> long.
    /// </summary>
    public Task MixAsync(string dubWav, string? backgroundWav, string? originalWav, double originalVoiceDb, double duration, string outWav, CancellationToken ct)
    {
        var args = new List<string> { "-i", dubWav };
        var graph = new StringBuilder();
        var mixInputs = new List<string>();
        var next = 1;
        // Synthetic speech is peaky (espeak-ng: 18–20 dB crest factor): a gentle compressor lets the loudness target be
        // reached under the true-peak ceiling instead of the limiter flattening it.
        graph.Append("[0:a]acompressor=threshold=0.1:ratio=3:attack=5:release=120:makeup=2[voice];");
        if (backgroundWav is not null)
        {
            args.Add("-i"); args.Add(backgroundWav);
            graph.Append(CultureInfo.InvariantCulture,
                $"[voice]asplit=2[dub][key];[{next}:a][key]sidechaincompress=threshold=0.02:ratio=8:attack=15:release=400:makeup=1[bed];");
            mixInputs.Add("[dub]"); mixInputs.Add("[bed]");
            next++;
        }
        else mixInputs.Add("[voice]");
        if (originalWav is not null)
        {
            args.Add("-i"); args.Add(originalWav);
            graph.Append(CultureInfo.InvariantCulture, $"[{next}:a]volume={originalVoiceDb:0.##}dB[orig];");
            mixInputs.Add("[orig]");
        }
        graph.Append(string.Concat(mixInputs))
             .Append(CultureInfo.InvariantCulture, $"amix=inputs={mixInputs.Count}:normalize=0:duration=longest,apad,atrim=0:{duration:0.####}[out]");
        return FfmpegAsync([.. args, "-filter_complex", graph.ToString(), "-map", "[out]", "-ac", "1", "-ar", Inv(SampleRate), "-c:a", "pcm_s16le", outWav], ct);
    }

    /// <summary>The original picture with one audio stream per dub, each tagged with its ISO 639-2 language. The picture
    /// is copied when MP4 can hold its codec, else encoded as H.264.</summary>
    public async Task MuxAsync(string video, IReadOnlyList<(string Audio, string Language, string Title)> audios, double duration, string outMp4, CancellationToken ct)
    {
        var args = new List<string> { "-i", video };
        foreach (var a in audios) { args.Add("-i"); args.Add(a.Audio); }
        args.AddRange(["-map", "0:v:0"]);
        for (var i = 0; i < audios.Count; i++) args.AddRange(["-map", $"{i + 1}:a:0"]);
        for (var i = 0; i < audios.Count; i++)
        {
            args.AddRange([$"-metadata:s:a:{i}", $"language={audios[i].Language}", $"-metadata:s:a:{i}", $"title={audios[i].Title}"]);
            args.AddRange([$"-disposition:a:{i}", i == 0 ? "default" : "0"]);
        }
        string[] tail = ["-c:a", "aac", "-b:a", "128k", "-t", Inv(duration), "-movflags", "+faststart", outMp4];
        try
        {
            await FfmpegAsync([.. args, "-c:v", "copy", .. tail], ct);
        }
        catch (ToolFailedException)
        {
            await FfmpegAsync([.. args, "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p", .. tail], ct);
        }
    }

    private Task<ProcessResult> FfmpegAsync(IReadOnlyList<string> args, CancellationToken ct) =>
        ToolAsync("ffmpeg", ["-nostdin", "-hide_banner", "-y", .. args], ct);

    private async Task<ProcessResult> ToolAsync(string tool, IReadOnlyList<string> args, CancellationToken ct) =>
        ToolFailedException.EnsureSuccess(
            await runner.RunAsync(new ProcessSpec(tool, args) { Timeout = TimeSpan.FromMinutes(30), InstallHint = "install ffmpeg" }, ct), tool);

    private static string Inv(double v) => v.ToString(CultureInfo.InvariantCulture);
}
