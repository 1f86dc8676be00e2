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
public sealed class EspeakSpeechSynthesizer(IProcessRunner runner, MediaOptions options) : ISpeechSynthesizer, IMultilingualSpeechSynthesizer
{
    // espeak-ng's languages, read once from `espeak-ng --voices` (ISO 639-1 → the voice to use).
    private static readonly Lazy<IReadOnlyDictionary<string, string>> EspeakLanguages = new(ListEspeakLanguages);

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

    public bool Speaks(string language) => EspeakVoiceFor(language) is not null;

    /// <summary>
    /// espeak-ng in the language's voice; "male"/"female" pick espeak-ng's m3/f3 variants, any other name is used as the
    /// espeak-ng voice as it is (e.g. "es+f2").
    /// </summary>
    public async Task SynthesizeAsync(string text, string language, string? voice, string outputWavPath, CancellationToken ct)
    {
        var baseVoice = EspeakVoiceFor(language) ?? throw new ArgumentException($"espeak-ng has no voice for '{language}'.", nameof(language));
        var name = voice switch
        {
            null or "" => baseVoice,
            SpeechVoices.Male => baseVoice + "+m3",
            SpeechVoices.Female => baseVoice + "+f3",
            _ when SpeechVoices.IsValid(voice) => voice,
            _ => throw new ArgumentException($"Not an espeak-ng voice name: {voice}", nameof(voice)),
        };
        var textFile = outputWavPath + ".txt";
        await File.WriteAllTextAsync(textFile, text, ct);
        try
        {
            string[] args = ["-v", name, "-s", options.Espeak.WordsPerMinute.ToString(CultureInfo.InvariantCulture), "-w", outputWavPath, "-f", textFile];
            ToolFailedException.EnsureSuccess(
                await runner.RunAsync(new ProcessSpec("espeak-ng", args) { Timeout = TimeSpan.FromMinutes(2), InstallHint = "install espeak-ng" }, ct),
                "espeak-ng");
        }
        finally
        {
            File.Delete(textFile);
        }
    }

    internal static string? EspeakVoiceFor(string language) =>
        EspeakLanguages.Value.TryGetValue(language, out var v) ? v : null;

    private static IReadOnlyDictionary<string, string> ListEspeakLanguages()
    {
        try
        {
            var result = new ProcessRunner().RunAsync(new ProcessSpec("espeak-ng", ["--voices"]) { Timeout = TimeSpan.FromSeconds(30) }, CancellationToken.None)
                .GetAwaiter().GetResult();
            return ParseEspeakVoices(result.Stdout);
        }
        catch (ToolNotFoundException)
        {
            return new Dictionary<string, string>();
        }
    }

    /// <summary>Reads `espeak-ng --voices` (columns: Pty, Language, Age/Gender, VoiceName, File): for each ISO 639-1 code the exact
    /// language voice ("es"), else the first regional one ("en-us" before others for English, "fr-fr").</summary>
    internal static IReadOnlyDictionary<string, string> ParseEspeakVoices(string listing)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in listing.Split('\n').Skip(1))
        {
            var cols = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (cols.Length < 2) continue;
            var lang = cols[1];
            var code = lang == "cmn" ? "zh" : lang.Split('-')[0];
            if (code.Length != 2) continue;
            var preferred = lang == code || lang is "en-us" or "fr-fr" or "cmn";
            if (preferred || !map.ContainsKey(code)) map[code] = lang;
        }
        return map;
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
