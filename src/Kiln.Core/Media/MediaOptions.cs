namespace Kiln.Core.Media;

/// <summary>Bound from <c>Kiln:Media</c>.</summary>
public sealed class MediaOptions
{
    public const string Section = "Kiln:Media";

    /// <summary><c>espeak</c> (default, offline), <c>openai</c> (any OpenAI-compatible speech endpoint) or <c>elevenlabs</c>.</summary>
    public string TtsProvider { get; set; } = "espeak";
    public EspeakOptions Espeak { get; set; } = new();
    public OpenAiTtsOptions OpenAi { get; set; } = new();
    public ElevenLabsOptions ElevenLabs { get; set; } = new();
}

public sealed class EspeakOptions
{
    internal static readonly string[] DefaultVoices = ["en-us+m3", "en-us+f3"];
    // Null by default: the binder appends configured array items to an initialized array instead of replacing it.
    public string[]? Voices { get; set; }
    public int WordsPerMinute { get; set; } = 165;
}

public sealed class OpenAiTtsOptions
{
    internal static readonly string[] DefaultVoices = ["alloy", "nova"];
    public string? BaseUrl { get; set; }
    public string? ApiKey { get; set; }
    public string Model { get; set; } = "gpt-4o-mini-tts";
    // Null by default: the binder appends configured array items to an initialized array instead of replacing it.
    public string[]? Voices { get; set; }
}
