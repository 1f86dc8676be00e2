using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Kiln.Core.Tests.Support;

/// <summary>
/// Speech audio for tests, spoken by festival's HTS voice (cmu_us_slt_arctic_hts): pocketsphinx hears it at ≈10 % WER,
/// where espeak-ng speech scores ≈70 %. Files are cached by their parameters in one temp folder, so tests (and test
/// processes) that ask for the same speech share one file. Linked into Kiln.IntegrationTests as well.
/// </summary>
public static class TestSpeech
{
    /// <summary>About 8 seconds of plain sentences, the default reference text.</summary>
    public static readonly IReadOnlyList<string> Sentences =
    [
        "The quick brown fox jumps over the lazy dog.",
        "Please call me tomorrow morning before nine.",
        "We will meet at the station and walk to the museum together.",
    ];

    private static readonly string CacheDir = Path.Combine(Path.GetTempPath(), "kiln-test-speech");

    /// <summary>
    /// A 16 kHz mono 16-bit WAV of <paramref name="sentences"/> spoken one after another, with
    /// <paramref name="pauseSeconds"/> of silence after each, and pink noise mixed in at <paramref name="noiseDb"/>
    /// (the noise generator's amplitude in dBFS, e.g. −20) when given. Returns the cached file's path: copy it before
    /// changing it.
    /// </summary>
    public static string Wav(IReadOnlyList<string>? sentences = null, double pauseSeconds = 0, double? noiseDb = null)
    {
        sentences ??= Sentences;
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(
            string.Join('\n', sentences) + FormattableString.Invariant($"|{pauseSeconds}|{noiseDb}|v1"))))[..16];
        var path = Path.Combine(CacheDir, $"speech-{key}.wav");
        if (File.Exists(path)) return path;

        Directory.CreateDirectory(CacheDir);
        var work = Directory.CreateTempSubdirectory("kiln-speech-");
        try
        {
            // One festival call per sentence, so pauses land between sentences exactly.
            var parts = new List<string>();
            for (var i = 0; i < sentences.Count; i++)
            {
                var txt = Path.Combine(work.FullName, $"s{i}.txt");
                var wav = Path.Combine(work.FullName, $"s{i}.wav");
                File.WriteAllText(txt, sentences[i]);
                Run("text2wave", "-eval", "(voice_cmu_us_slt_arctic_hts)", txt, "-o", wav);
                parts.Add(wav);
            }
            var args = new List<string> { "-v", "error", "-y" };
            foreach (var p in parts) args.AddRange(["-i", p]);
            var graph = new StringBuilder();
            for (var i = 0; i < parts.Count; i++)
                graph.Append(CultureInfo.InvariantCulture, $"[{i}:a]aresample=16000,aformat=channel_layouts=mono,apad=pad_dur={pauseSeconds}[a{i}];");
            for (var i = 0; i < parts.Count; i++) graph.Append(CultureInfo.InvariantCulture, $"[a{i}]");
            graph.Append(CultureInfo.InvariantCulture, $"concat=n={parts.Count}:v=0:a=1");
            if (noiseDb is { } db)
            {
                var amplitude = Math.Pow(10, db / 20);
                graph.Append(CultureInfo.InvariantCulture, $"[speech];anoisesrc=color=pink:amplitude={amplitude:0.######}:sample_rate=16000:seed=7[noise];[speech][noise]amix=inputs=2:duration=first:normalize=0");
            }
            var temp = Path.Combine(work.FullName, "out.wav");
            args.AddRange(["-filter_complex", graph.ToString(), "-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le", temp]);
            Run("ffmpeg", [.. args]);
            // Another test may have made the same file meanwhile; the contents are identical either way.
            File.Move(temp, path, overwrite: true);
            return path;
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    /// <summary>The reference text of <see cref="Wav"/>'s sentences joined by spaces (for <c>WordErrorRate.Compute</c>).</summary>
    public static string Text(IReadOnlyList<string>? sentences = null) => string.Join(' ', sentences ?? Sentences);

    /// <summary>A 16 kHz mono WAV of digital silence, optionally with pink noise at <paramref name="noiseDb"/> dBFS.</summary>
    public static string Silence(double seconds, double? noiseDb = null)
    {
        var path = Path.Combine(CacheDir, FormattableString.Invariant($"silence-{seconds}-{noiseDb}.wav"));
        if (File.Exists(path)) return path;
        Directory.CreateDirectory(CacheDir);
        var source = noiseDb is { } db
            ? FormattableString.Invariant($"anoisesrc=color=pink:amplitude={Math.Pow(10, db / 20):0.######}:sample_rate=16000:seed=7:duration={seconds}")
            : FormattableString.Invariant($"anullsrc=r=16000:cl=mono:d={seconds}");
        var temp = path + $".{Guid.NewGuid():N}.wav";
        Run("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", source, "-ac", "1", "-ar", "16000", "-c:a", "pcm_s16le", temp);
        File.Move(temp, path, overwrite: true);
        return path;
    }

    private static void Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {tool}; install festival festvox-us-slt-hts ffmpeg.");
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{tool} failed ({p.ExitCode}): {stderr.Result}");
    }
}
