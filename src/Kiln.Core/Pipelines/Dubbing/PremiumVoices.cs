using Kiln.Core.Media;

namespace Kiln.Core.Pipelines.Dubbing;

/// <summary>
/// Voices from paid speech engines, chosen per language as <c>engine:voice</c> — <c>openai:nova</c>, <c>openai:male</c>,
/// <c>elevenlabs:21m00Tcm4TlvDq8ikWAM</c>. An engine is offered when it is configured under <c>Kiln:Media</c>
/// (<c>OpenAi:BaseUrl</c> or <c>OpenAi:ApiKey</c>; <c>ElevenLabs:ApiKey</c>). They cost the operator money per
/// character, so they are a plan feature (<see cref="Feature"/>) with their own per-minute price line.
/// </summary>
public sealed class PremiumVoices(MediaOptions? media)
{
    public const string Feature = Billing.PlanFeatures.PremiumVoices;
    public const string OpenAi = "openai";
    public const string ElevenLabs = "elevenlabs";

    private readonly Lazy<IMultilingualSpeechSynthesizer?> _openAi = new(() =>
        media is { OpenAi: var o } && (!string.IsNullOrWhiteSpace(o.BaseUrl) || !string.IsNullOrWhiteSpace(o.ApiKey)) ? new OpenAiSpeechSynthesizer(o) : null);
    private readonly Lazy<IMultilingualSpeechSynthesizer?> _elevenLabs = new(() =>
        media is { ElevenLabs: var o } && !string.IsNullOrWhiteSpace(o.ApiKey)
            ? new ElevenLabsSpeechSynthesizer(new HttpClient { Timeout = TimeSpan.FromSeconds(o.TimeoutSeconds) }, o) : null);

    /// <summary>Splits <c>engine:voice</c>; false for a standard voice (male, female, an installed engine's voice name).</summary>
    public static bool TryParse(string? voice, out string engine, out string name)
    {
        engine = name = "";
        var colon = voice?.IndexOf(':') ?? -1;
        if (colon <= 0 || colon == voice!.Length - 1) return false;
        engine = voice[..colon];
        name = voice[(colon + 1)..];
        return true;
    }

    /// <summary>The engines configured here, in a stable order.</summary>
    public IReadOnlyList<string> Engines => [.. _openAi.Value is null ? Array.Empty<string>() : [OpenAi], .. _elevenLabs.Value is null ? Array.Empty<string>() : [ElevenLabs]];

    /// <summary>The voice names offered for a configured engine: female and male (each engine's own pick), then the operator's
    /// configured voices (OpenAI-compatible names; ElevenLabs voice ids past the first two, which female and male already are).</summary>
    public IReadOnlyList<string> VoiceNames(string engine) => Engine(engine) is null ? [] : engine switch
    {
        OpenAi => [SpeechVoices.Female, SpeechVoices.Male, .. media!.OpenAi.Voices is { Length: > 0 } v ? v : OpenAiTtsOptions.DefaultVoices],
        ElevenLabs => [SpeechVoices.Female, SpeechVoices.Male, .. (media!.ElevenLabs.VoiceIds ?? []).Skip(2)],
        _ => [],
    };

    /// <summary>The configured engine called <paramref name="engine"/>, or null.</summary>
    public IMultilingualSpeechSynthesizer? Engine(string engine) => engine switch
    {
        OpenAi => _openAi.Value,
        ElevenLabs => _elevenLabs.Value,
        _ => null,
    };
}
