using System.Diagnostics;
using System.Globalization;

namespace Kiln.Core.Tests.Support;

/// <summary>
/// A short noisy episode for the podcast tests: three sentences by festival's HTS voice (via <see cref="TestSpeech"/>),
/// the second 9 dB quieter (a guest far from the mic), long pauses of 3 and 4 seconds between them, and pink noise
/// about 20 dB under the speech. ~27 s at 44.1 kHz; cached in the temp folder like the speech it is made of. Linked into
/// Kiln.IntegrationTests as well.
/// </summary>
public static class TestPodcastAudio
{
    public static readonly IReadOnlyList<string> Script =
    [
        "Welcome to the workshop. My guest today is Maria Lopez, who builds weather stations for schools.",
        "The first station went up on a school roof in the spring, and the children read it every morning.",
        "Next we talk about money. A station costs about two hundred dollars, and the plans are at workshop dot example dot com.",
    ];

    /// <summary>Seconds of silence after each sentence in the input.</summary>
    public static readonly IReadOnlyList<double> Pauses = [3, 4, 1];

    private static readonly Lock Gate = new();

    public static string Episode()
    {
        var path = Path.Combine(Path.GetTempPath(), "kiln-test-speech", "podcast-episode-v1.wav");
        lock (Gate)
        {
            if (File.Exists(path)) return path;
            var sentences = Script.Select(s => TestSpeech.Wav([s])).ToList();
            var tmp = path + $".{Environment.ProcessId}.tmp.wav";
            var graph = string.Join("", sentences.Select((_, i) => string.Create(CultureInfo.InvariantCulture,
                $"[{i}:a]aresample=44100,aformat=channel_layouts=mono,volume={(i == 1 ? -15 : -6)}dB,apad=pad_dur={Pauses[i]}[s{i}];")))
                + string.Concat(sentences.Select((_, i) => $"[s{i}]")) + $"concat=n={sentences.Count}:v=0:a=1[speech];"
                + "anoisesrc=c=pink:r=44100:a=0.02:s=7[noise];[speech][noise]amix=inputs=2:duration=first:normalize=0";
            var args = new List<string> { "-v", "error", "-y" };
            foreach (var s in sentences) args.AddRange(["-i", s]);
            args.AddRange(["-filter_complex", graph, "-c:a", "pcm_s16le", tmp]);
            Run("ffmpeg", args);
            File.Move(tmp, path, overwrite: true);
            return path;
        }
    }

    /// <summary>A square PNG for the artwork slot.</summary>
    public static string Artwork(string path)
    {
        Run("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "color=c=orange:s=1400x1400", "-frames:v", "1", path]);
        return path;
    }

    private static void Run(string file, IReadOnlyList<string> args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} failed: {err}");
    }
}
