using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Kiln.Core.Media;

/// <summary>A loudness target: integrated loudness (LUFS) and the true-peak ceiling (dBTP).</summary>
public sealed record LoudnessTarget(double IntegratedLufs, double TruePeakDbtp)
{
    /// <summary>Podcast practice: −16 LUFS ±1 LU, true peak ≤ −1 dBTP.</summary>
    public static readonly LoudnessTarget Podcast = new(-16, -1);
    /// <summary>Audiobook practice: −18 LUFS ±1 LU, true peak ≤ −3 dBTP.</summary>
    public static readonly LoudnessTarget Audiobook = new(-18, -3);

    public bool IsMet(LoudnessMeasurement m, double toleranceLu = 1) =>
        Math.Abs(m.IntegratedLufs - IntegratedLufs) <= toleranceLu && m.TruePeakDbtp <= TruePeakDbtp;
}

/// <summary>What ffmpeg's <c>ebur128=peak=true</c> filter reports for a whole file.</summary>
public sealed record LoudnessMeasurement(double IntegratedLufs, double TruePeakDbtp);

public interface IAudioTools
{
    /// <summary>Joins audio files in order into one MP3, normalized to <see cref="LoudnessTarget.Podcast"/>.</summary>
    Task ConcatToMp3Async(IReadOnlyList<string> inputs, string outputMp3Path, CancellationToken ct);

    /// <summary>Joins audio files in order into one MP3 normalized to <paramref name="target"/>, verified by measuring it.</summary>
    Task ConcatToMp3Async(IReadOnlyList<string> inputs, string outputMp3Path, LoudnessTarget target, CancellationToken ct);

    /// <summary>Duration of a media file in seconds.</summary>
    Task<double> GetDurationSecondsAsync(string path, CancellationToken ct);

    /// <summary>Integrated loudness and true peak of a media file, as ffmpeg's ebur128 filter measures them.</summary>
    Task<LoudnessMeasurement> MeasureLoudnessAsync(string path, CancellationToken ct);

    /// <summary>Normalizes one file to <paramref name="target"/>; the output's extension picks the format (.wav PCM, .mp3).</summary>
    Task NormalizeAsync(string input, string output, LoudnessTarget target, CancellationToken ct);
}

public sealed partial class AudioTools(IProcessRunner runner) : IAudioTools
{
    private const string Hint = "install ffmpeg";
    private const int SampleRate = 44100;
    // MP3 encoding adds a few tenths of a dB of inter-sample peaks; the limiter aims below the ceiling.
    private const double PeakMarginDb = 0.6;

    public Task ConcatToMp3Async(IReadOnlyList<string> inputs, string outputMp3Path, CancellationToken ct) =>
        ConcatToMp3Async(inputs, outputMp3Path, LoudnessTarget.Podcast, ct);

    public async Task ConcatToMp3Async(IReadOnlyList<string> inputs, string outputMp3Path, LoudnessTarget target, CancellationToken ct)
    {
        if (inputs.Count == 0) throw new ArgumentException("Nothing to concatenate.", nameof(inputs));
        // The concat demuxer reads a list file, which keeps the command line short for hundreds of turns.
        var listFile = outputMp3Path + ".concat.txt";
        var joined = outputMp3Path + ".joined.wav";
        var sb = new StringBuilder();
        foreach (var input in inputs) sb.Append("file '").Append(Path.GetFullPath(input).Replace("'", "'\\''", StringComparison.Ordinal)).Append("'\n");
        await File.WriteAllTextAsync(listFile, sb.ToString(), ct);
        try
        {
            // Join first (PCM, one rate, so engines with different rates mix), then normalize.
            await FfmpegAsync(["-f", "concat", "-safe", "0", "-i", listFile, "-ac", "1", "-ar", Inv(SampleRate), "-c:a", "pcm_s16le", joined], ct);
            await NormalizeAsync(joined, outputMp3Path, target, ct);
        }
        finally
        {
            File.Delete(listFile);
            File.Delete(joined);
        }
    }

    /// <summary>
    /// Measure, then gain plus a true-peak limiter (run at 192 kHz so inter-sample peaks are caught), then measure the
    /// MP3 and correct once or twice. Two-pass loudnorm was tried first: TTS speech has a high crest factor (espeak-ng:
    /// −20.8 LUFS with peaks at −2.3 dBTP), so the gain it needs breaks the peak ceiling, loudnorm falls back to its
    /// dynamic mode, and short files came out more than 1 LU off target.
    /// </summary>
    public async Task NormalizeAsync(string input, string output, LoudnessTarget target, CancellationToken ct)
    {
        string[] codec = output.EndsWith(".wav", StringComparison.OrdinalIgnoreCase) ? ["-c:a", "pcm_s16le"] : ["-c:a", "libmp3lame", "-b:a", "96k"];
        var measured = await MeasureLoudnessAsync(input, ct);
        if (double.IsInfinity(measured.IntegratedLufs) || measured.IntegratedLufs < -70)
        {
            // Silence: nothing to normalize.
            await FfmpegAsync(["-i", input, "-ar", Inv(SampleRate), "-ac", "1", .. codec, output], ct);
            return;
        }
        var gain = target.IntegratedLufs - measured.IntegratedLufs;
        var ceiling = target.TruePeakDbtp - PeakMarginDb;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var limit = Math.Clamp(Math.Pow(10, ceiling / 20), 0.0625, 1);
            var filter = $"aresample=192000,volume={Inv(Math.Round(gain, 2))}dB,alimiter=limit={Inv(Math.Round(limit, 4))}:attack=1:release=50:level=false,aresample={Inv(SampleRate)}";
            await FfmpegAsync(["-i", input, "-af", filter, "-ar", Inv(SampleRate), "-ac", "1", .. codec, output], ct);
            var result = await MeasureLoudnessAsync(output, ct);
            if (target.IsMet(result, 0.5)) return;
            gain += target.IntegratedLufs - result.IntegratedLufs;
            if (result.TruePeakDbtp > target.TruePeakDbtp) ceiling -= result.TruePeakDbtp - target.TruePeakDbtp + 0.2;
        }
    }

    public async Task<double> GetDurationSecondsAsync(string path, CancellationToken ct)
    {
        string[] args = ["-v", "error", "-show_entries", "format=duration", "-of", "default=noprint_wrappers=1:nokey=1", path];
        var result = ToolFailedException.EnsureSuccess(
            await runner.RunAsync(new ProcessSpec("ffprobe", args) { Timeout = TimeSpan.FromMinutes(1), InstallHint = Hint }, ct),
            "ffprobe");
        return double.TryParse(result.Stdout.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
            ? seconds
            : throw new ToolFailedException("ffprobe", 0, "no duration in ffprobe output");
    }

    public async Task<LoudnessMeasurement> MeasureLoudnessAsync(string path, CancellationToken ct)
    {
        var result = await FfmpegAsync(["-nostats", "-i", path, "-af", "ebur128=peak=true:framelog=verbose", "-f", "null", "-"], ct);
        return ParseEbur128(result.Stderr) ?? throw new ToolFailedException("ffmpeg", 0, "no ebur128 summary in ffmpeg output");
    }

    /// <summary>Reads the summary ebur128 prints last (per-frame lines go to the verbose log level, so an hour of audio does not
    /// overflow the captured stderr and cut the summary off): "Integrated loudness: I: -16.1 LUFS" and "True peak: Peak: -1.4 dBFS".</summary>
    internal static LoudnessMeasurement? ParseEbur128(string stderr)
    {
        var summary = stderr.LastIndexOf("Summary:", StringComparison.Ordinal);
        if (summary < 0) return null;
        var text = stderr[summary..];
        var i = IntegratedLine().Match(text);
        var p = PeakLine().Match(text);
        if (!i.Success || !p.Success) return null;
        return new LoudnessMeasurement(
            double.Parse(i.Groups[1].Value, CultureInfo.InvariantCulture),
            p.Groups[1].Value == "-inf" ? double.NegativeInfinity : double.Parse(p.Groups[1].Value, CultureInfo.InvariantCulture));
    }

    private async Task<ProcessResult> FfmpegAsync(IReadOnlyList<string> args, CancellationToken ct) =>
        ToolFailedException.EnsureSuccess(
            await runner.RunAsync(new ProcessSpec("ffmpeg", ["-nostdin", "-hide_banner", "-y", .. args]) { Timeout = TimeSpan.FromMinutes(30), InstallHint = Hint }, ct),
            "ffmpeg");

    private static string Inv(double v) => v.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"Integrated loudness:\s*I:\s*(-?[\d.]+)\s*LUFS")]
    private static partial Regex IntegratedLine();

    [GeneratedRegex(@"True peak:\s*Peak:\s*(-inf|-?[\d.]+)\s*dBFS")]
    private static partial Regex PeakLine();
}
