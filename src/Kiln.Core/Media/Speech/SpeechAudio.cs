using System.Buffers.Binary;
using System.Globalization;

namespace Kiln.Core.Media.Speech;

/// <summary>
/// Audio preparation shared by the engines: decode anything ffmpeg reads to 16 kHz mono 16-bit PCM, find quiet places to
/// cut long recordings, and write slices as WAV files. Working on raw PCM keeps cuts sample-exact (no re-seeking in
/// compressed streams) and lets us choose cut points without a silence threshold, which noisy recordings defeat.
/// </summary>
internal static class SpeechAudio
{
    public const int SampleRate = 16000;
    public const int BytesPerSecond = SampleRate * 2;
    private const string Hint = "install ffmpeg";

    /// <summary>Decodes <paramref name="input"/> to raw s16le 16 kHz mono at <paramref name="pcmPath"/>; returns its length in seconds.</summary>
    public static async Task<double> DecodeToPcmAsync(IProcessRunner runner, string input, string pcmPath, CancellationToken ct)
    {
        if (!File.Exists(input)) throw new FileNotFoundException("The audio file does not exist.", input);
        string[] args = ["-nostdin", "-hide_banner", "-v", "error", "-y", "-i", input, "-vn", "-ac", "1", "-ar", Inv(SampleRate), "-f", "s16le", "-c:a", "pcm_s16le", pcmPath];
        ToolFailedException.EnsureSuccess(
            await runner.RunAsync(new ProcessSpec("ffmpeg", args) { Timeout = TimeSpan.FromMinutes(30), InstallHint = Hint }, ct), "ffmpeg");
        return new FileInfo(pcmPath).Length / (double)BytesPerSecond;
    }

    /// <summary>
    /// Cut points (seconds) that split <paramref name="durationSeconds"/> of PCM into pieces of about
    /// <paramref name="targetSeconds"/>: each cut sits in the quietest 300 ms found within ±25 % of the target boundary.
    /// </summary>
    public static IReadOnlyList<double> FindCutPoints(string pcmPath, double durationSeconds, double targetSeconds)
    {
        if (targetSeconds <= 0 || durationSeconds <= targetSeconds * 1.25) return [];
        var energies = FrameEnergies(pcmPath, out var frameSeconds);
        var cuts = new List<double>();
        var last = 0.0;
        while (durationSeconds - last > targetSeconds * 1.25)
        {
            var aim = last + targetSeconds;
            var from = Math.Max(last + targetSeconds * 0.5, aim - targetSeconds * 0.25);
            var to = Math.Min(durationSeconds - targetSeconds * 0.25, aim + targetSeconds * 0.25);
            var cut = QuietestWindow(energies, frameSeconds, from, to, windowSeconds: 0.3) ?? aim;
            cuts.Add(cut);
            last = cut;
        }
        return cuts;
    }

    /// <summary>Writes seconds [<paramref name="start"/>, <paramref name="end"/>) of the PCM file as a 16 kHz mono WAV.</summary>
    public static async Task WriteWavSliceAsync(string pcmPath, double start, double end, string wavPath, CancellationToken ct)
    {
        var from = (long)Math.Round(start * SampleRate) * 2;
        var length = Math.Min(new FileInfo(pcmPath).Length, (long)Math.Round(end * SampleRate) * 2) - from;
        if (length < 0) length = 0;
        await using var source = File.OpenRead(pcmPath);
        source.Seek(from, SeekOrigin.Begin);
        await using var target = File.Create(wavPath);
        await target.WriteAsync(WavHeader(checked((int)length)), ct);
        var buffer = new byte[81920];
        var left = length;
        while (left > 0)
        {
            var read = await source.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), ct);
            if (read == 0) break;
            await target.WriteAsync(buffer.AsMemory(0, read), ct);
            left -= read;
        }
    }

    /// <summary>Encodes a WAV file to 64 kbps mono MP3 (about 28 MB per hour): what upload-limited services accept.</summary>
    public static async Task EncodeMp3Async(IProcessRunner runner, string input, string mp3Path, CancellationToken ct)
    {
        string[] args = ["-nostdin", "-hide_banner", "-v", "error", "-y", "-i", input, "-vn", "-ac", "1", "-c:a", "libmp3lame", "-b:a", "64k", mp3Path];
        ToolFailedException.EnsureSuccess(
            await runner.RunAsync(new ProcessSpec("ffmpeg", args) { Timeout = TimeSpan.FromMinutes(30), InstallHint = Hint }, ct), "ffmpeg");
    }

    internal static byte[] WavHeader(int dataBytes)
    {
        var h = new byte[44];
        void Text(int at, string s) { for (var i = 0; i < 4; i++) h[at + i] = (byte)s[i]; }
        void Int(int at, int value) => BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(at, 4), value);
        void Short(int at, short value) => BinaryPrimitives.WriteInt16LittleEndian(h.AsSpan(at, 2), value);
        Text(0, "RIFF"); Int(4, 36 + dataBytes); Text(8, "WAVE");
        Text(12, "fmt "); Int(16, 16); Short(20, 1); Short(22, 1); Int(24, SampleRate); Int(28, BytesPerSecond); Short(32, 2); Short(34, 16);
        Text(36, "data"); Int(40, dataBytes);
        return h;
    }

    /// <summary>Mean square per 20 ms frame.</summary>
    private static double[] FrameEnergies(string pcmPath, out double frameSeconds)
    {
        const int frameSamples = SampleRate / 50;
        frameSeconds = frameSamples / (double)SampleRate;
        var bytes = File.ReadAllBytes(pcmPath);
        var frames = new double[bytes.Length / 2 / frameSamples];
        for (var f = 0; f < frames.Length; f++)
        {
            double sum = 0;
            var offset = f * frameSamples * 2;
            for (var i = 0; i < frameSamples; i++)
            {
                double s = BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(offset + i * 2, 2));
                sum += s * s;
            }
            frames[f] = sum / frameSamples;
        }
        return frames;
    }

    /// <summary>The middle (seconds) of the quietest window of <paramref name="windowSeconds"/> between two times.</summary>
    private static double? QuietestWindow(double[] energies, double frameSeconds, double from, double to, double windowSeconds)
    {
        var width = Math.Max(1, (int)Math.Round(windowSeconds / frameSeconds));
        var first = Math.Max(0, (int)(from / frameSeconds));
        var last = Math.Min(energies.Length - width, (int)(to / frameSeconds));
        if (last < first) return null;
        double best = double.MaxValue, window = 0;
        int bestAt = first;
        for (var i = first; i < first + width; i++) window += energies[i];
        for (var i = first; ; i++)
        {
            // Ties go to the window nearest the aim's middle only by scan order; fine for speech pauses.
            if (window < best) { best = window; bestAt = i; }
            if (i + width >= energies.Length || i >= last) break;
            window += energies[i + width] - energies[i];
        }
        return (bestAt + width / 2.0) * frameSeconds;
    }

    private static string Inv(double v) => v.ToString(CultureInfo.InvariantCulture);
}
