using System.Globalization;

namespace Kiln.Core.Media;

/// <summary>Text to speech. Voices are addressed by index (0 = first host, 1 = second) so callers stay engine-neutral.</summary>
public interface ISpeechSynthesizer
{
    string Name { get; }

    /// <summary>Writes <paramref name="text"/> spoken with voice <paramref name="voiceIndex"/> to a WAV file.</summary>
    Task SynthesizeAsync(string text, int voiceIndex, string outputWavPath, CancellationToken ct);
}

/// <summary>
/// Offline speech: espeak-ng voices ("en-us+m3") and, for voices written "festival:NAME", Festival's <c>text2wave</c>
/// with that voice (e.g. "festival:cmu_us_slt_arctic_hts", a far more natural HTS voice). Without configured voices the
/// first host is espeak-ng's "en-us+m3" and the second Festival's SLT voice when it is installed, else "en-us+f3":
/// two engines, two sexes, clearly two people.
/// </summary>
public sealed class EspeakSpeechSynthesizer(IProcessRunner runner, MediaOptions options) : ISpeechSynthesizer
{
    public const string FestivalPrefix = "festival:";
    public const string FestivalSltVoice = FestivalPrefix + "cmu_us_slt_arctic_hts";
    // espeak-ng writes 22,050 Hz mono; Festival is asked for the same so the turns join without resampling surprises.
    private const int SampleRate = 22050;

    private static readonly Lazy<bool> SltInstalled = new(() => FestivalVoiceInstalled("cmu_us_slt_arctic_hts"));

    public string Name => "espeak-ng";

    /// <summary>The voices used when none are configured; see the class summary.</summary>
    public static IReadOnlyList<string> DefaultVoices => SltInstalled.Value ? ["en-us+m3", FestivalSltVoice] : ["en-us+m3", "en-us+f3"];

    public async Task SynthesizeAsync(string text, int voiceIndex, string outputWavPath, CancellationToken ct)
    {
        IReadOnlyList<string> voices = options.Espeak.Voices is { Length: > 0 } v ? v : DefaultVoices;
        var voice = voices[Math.Abs(voiceIndex) % voices.Count];
        // Text goes through a file: as an argument, a line starting with '-' would be read as an option.
        var textFile = outputWavPath + ".txt";
        await File.WriteAllTextAsync(textFile, text, ct);
        try
        {
            if (voice.StartsWith(FestivalPrefix, StringComparison.Ordinal))
            {
                var name = voice[FestivalPrefix.Length..];
                if (!IsSafeVoiceName(name)) throw new ArgumentException($"Not a Festival voice name: {name}", nameof(voiceIndex));
                string[] args = ["-eval", $"(voice_{name})", "-F", SampleRate.ToString(CultureInfo.InvariantCulture), "-o", outputWavPath, textFile];
                ToolFailedException.EnsureSuccess(
                    await runner.RunAsync(new ProcessSpec("text2wave", args) { Timeout = TimeSpan.FromMinutes(5), InstallHint = "install festival and festvox-us-slt-hts" }, ct),
                    "text2wave");
            }
            else
            {
                string[] args = ["-v", voice, "-s", options.Espeak.WordsPerMinute.ToString(CultureInfo.InvariantCulture), "-w", outputWavPath, "-f", textFile];
                ToolFailedException.EnsureSuccess(
                    await runner.RunAsync(new ProcessSpec("espeak-ng", args) { Timeout = TimeSpan.FromMinutes(2), InstallHint = "install espeak-ng" }, ct),
                    "espeak-ng");
            }
        }
        finally
        {
            File.Delete(textFile);
        }
    }

    // The name is pasted into a Scheme expression, so only plain identifiers are allowed.
    private static bool IsSafeVoiceName(string name) => name.Length is > 0 and < 80 && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    private static bool FestivalVoiceInstalled(string name)
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Any(d => d.Length > 0 && File.Exists(Path.Combine(d, "text2wave")));
        return onPath && Directory.Exists("/usr/share/festival/voices")
            && Directory.EnumerateDirectories("/usr/share/festival/voices").Any(lang => Directory.Exists(Path.Combine(lang, name)));
    }
}
