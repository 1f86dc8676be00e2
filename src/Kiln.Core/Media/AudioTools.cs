using System.Globalization;
using System.Text;

namespace Kiln.Core.Media;

public interface IAudioTools
{
    /// <summary>Joins audio files in order into one MP3.</summary>
    Task ConcatToMp3Async(IReadOnlyList<string> inputs, string outputMp3Path, CancellationToken ct);

    /// <summary>Duration of a media file in seconds.</summary>
    Task<double> GetDurationSecondsAsync(string path, CancellationToken ct);
}

public sealed class AudioTools(IProcessRunner runner) : IAudioTools
{
    private const string Hint = "install ffmpeg";

    public async Task ConcatToMp3Async(IReadOnlyList<string> inputs, string outputMp3Path, CancellationToken ct)
    {
        if (inputs.Count == 0) throw new ArgumentException("Nothing to concatenate.", nameof(inputs));
        // The concat demuxer reads a list file, which keeps the command line short for hundreds of turns.
        var listFile = outputMp3Path + ".concat.txt";
        var sb = new StringBuilder();
        foreach (var input in inputs) sb.Append("file '").Append(Path.GetFullPath(input).Replace("'", "'\\''", StringComparison.Ordinal)).Append("'\n");
        await File.WriteAllTextAsync(listFile, sb.ToString(), ct);
        try
        {
            string[] args = ["-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0", "-i", listFile,
                "-ac", "1", "-ar", "44100", "-c:a", "libmp3lame", "-q:a", "5", outputMp3Path];
            ToolFailedException.EnsureSuccess(
                await runner.RunAsync(new ProcessSpec("ffmpeg", args) { Timeout = TimeSpan.FromMinutes(30), InstallHint = Hint }, ct),
                "ffmpeg");
        }
        finally
        {
            File.Delete(listFile);
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
}
