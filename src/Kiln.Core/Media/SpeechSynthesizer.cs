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
    // espeak-ng's voice listing, read once from `espeak-ng --voices`: ISO 639-1 → the voice to use, and every voice per language.
    private static readonly Lazy<string> EspeakListing = new(ReadEspeakListing);
    private static readonly Lazy<IReadOnlyDictionary<string, string>> EspeakLanguages = new(() => ParseEspeakVoices(EspeakListing.Value));
    private static readonly Lazy<ILookup<string, EspeakVoice>> EspeakVoicesByLanguage = new(() => ParseLanguageVoices(EspeakListing.Value));

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

    /// <summary>espeak-ng's voices for <paramref name="language"/> (ISO 639-1), the one <see cref="Speaks"/> uses first; empty when it has none.</summary>
    public static IReadOnlyList<EspeakVoice> LanguageVoices(string language)
    {
        var voices = EspeakVoicesByLanguage.Value[language].ToList();
        var main = EspeakVoiceFor(language);
        return [.. voices.Where(v => v.Id == main), .. voices.Where(v => v.Id != main)];
    }

    private static string ReadEspeakListing()
    {
        try
        {
            return new ProcessRunner().RunAsync(new ProcessSpec("espeak-ng", ["--voices"]) { Timeout = TimeSpan.FromSeconds(30) }, CancellationToken.None)
                .GetAwaiter().GetResult().Stdout;
        }
        catch (ToolNotFoundException)
        {
            return "";
        }
    }

    /// <summary>Reads `espeak-ng --voices`: each language voice ("es", "es-419") with its name ("Spanish (Latin America)"), by ISO 639-1 code.</summary>
    internal static ILookup<string, EspeakVoice> ParseLanguageVoices(string listing) =>
        listing.Split('\n').Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(cols => cols.Length >= 4)
            .Select(cols => (Code: cols[1] == "cmn" ? "zh" : cols[1].Split('-')[0], Voice: new EspeakVoice(cols[1], cols[3].Replace('_', ' '))))
            .Where(v => v.Code.Length == 2)
            .ToLookup(v => v.Code, v => v.Voice, StringComparer.Ordinal);

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

/// <summary>One espeak-ng language voice: what <c>-v</c> takes (<c>es-419</c>) and its name (<c>Spanish (Latin America)</c>).</summary>
public sealed record EspeakVoice(string Id, string Name);
