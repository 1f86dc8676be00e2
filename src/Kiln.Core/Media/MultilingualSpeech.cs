namespace Kiln.Core.Media;

/// <summary>
/// Speech in a chosen language and voice, beside <see cref="ISpeechSynthesizer"/>'s voice-index API (which the
/// English-only podcast and audiobook keep using). Every built-in synthesizer implements both. A voice is
/// <c>male</c>, <c>female</c>, null (the engine's default for the language) or an engine voice name (an espeak-ng
/// voice such as <c>es+f2</c>, an OpenAI voice such as <c>nova</c>, an ElevenLabs voice id).
/// </summary>
public interface IMultilingualSpeechSynthesizer
{
    string Name { get; }

    /// <summary>Whether the engine can speak <paramref name="language"/> (ISO 639-1).</summary>
    bool Speaks(string language);

    /// <summary>Writes <paramref name="text"/> spoken in <paramref name="language"/> with <paramref name="voice"/> to a WAV file.</summary>
    Task SynthesizeAsync(string text, string language, string? voice, string outputWavPath, CancellationToken ct);
}

public static class SpeechVoices
{
    public const string Male = "male";
    public const string Female = "female";

    /// <summary>A voice option is "male", "female" or an engine voice name of letters, digits and <c>+-_.</c>.</summary>
    public static bool IsValid(string? voice) =>
        voice is null || (voice.Length is > 0 and <= 80 && voice.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '_' or '.'));
}
