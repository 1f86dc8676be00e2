using Kiln.Core.Media;

namespace Kiln.Core.Pipelines.Dubbing;

/// <summary>A voice a target language can be dubbed with: <see cref="Id"/> is what the per-language voice option takes.</summary>
/// <param name="Premium">Spoken by a paid engine (<c>engine:voice</c>): needs the plan feature <see cref="PremiumVoices.Feature"/>.</param>
public sealed record DubbingVoice(string Id, string Label, string Engine, bool Premium);

public sealed partial class DubbingPipeline
{
    // espeak-ng's voice variants offered per language voice: four of each, enough to tell speakers apart.
    private static readonly (string Variant, string Label)[] EspeakVariants =
        [("m1", "male 1"), ("m2", "male 2"), ("m4", "male 3"), ("m7", "male 4"), ("f1", "female 1"), ("f2", "female 2"), ("f4", "female 3"), ("f5", "female 4")];

    /// <summary>The default voice of a language when none is chosen (see <see cref="DubbingOptions.Voice"/>).</summary>
    public static string DefaultVoice => new DubbingOptions().Voice;

    /// <summary>
    /// The voices <paramref name="language"/> can be dubbed with here: the installed synthesizer's male and female voice, its
    /// own voices for the language (espeak-ng's language voices × variants, like <c>es-419+f2</c>), then the premium engines
    /// configured on this installation. Empty when nothing here speaks the language.
    /// </summary>
    public IReadOnlyList<DubbingVoice> VoicesFor(string language)
    {
        var voices = new List<DubbingVoice>();
        if (synthesizer.Speaks(language))
        {
            voices.Add(new(SpeechVoices.Male, "Male (default)", synthesizer.Name, false));
            voices.Add(new(SpeechVoices.Female, "Female", synthesizer.Name, false));
            if (synthesizer is EspeakSpeechSynthesizer)
                foreach (var v in EspeakSpeechSynthesizer.LanguageVoices(language))
                    foreach (var (variant, label) in EspeakVariants)
                        voices.Add(new($"{v.Id}+{variant}", $"{v.Name}, {label}", synthesizer.Name, false));
        }
        foreach (var engine in _premium.Engines)
        {
            if (_premium.Engine(engine) is not { } premium || !premium.Speaks(language)) continue;
            var engineLabel = engine == PremiumVoices.OpenAi ? "OpenAI" : "ElevenLabs";
            foreach (var name in _premium.VoiceNames(engine))
                voices.Add(new($"{engine}:{name}", $"{engineLabel}: {name}", engine, true));
        }
        return voices;
    }
}
