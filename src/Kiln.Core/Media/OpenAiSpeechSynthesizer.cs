using System.ClientModel;
using OpenAI;
using OpenAI.Audio;

namespace Kiln.Core.Media;

/// <summary>Speech from any OpenAI-compatible <c>/audio/speech</c> endpoint (OpenAI, LocalAI, Kokoro-FastAPI, …).</summary>
public sealed class OpenAiSpeechSynthesizer : ISpeechSynthesizer, IMultilingualSpeechSynthesizer
{
    private readonly AudioClient _client;
    private readonly string[] _voices;

    public OpenAiSpeechSynthesizer(OpenAiTtsOptions options)
    {
        var clientOptions = new OpenAIClientOptions();
        if (!string.IsNullOrWhiteSpace(options.BaseUrl)) clientOptions.Endpoint = new Uri(options.BaseUrl);
        // Local servers often need no key, but the SDK refuses an empty credential.
        var key = string.IsNullOrWhiteSpace(options.ApiKey) ? "unused" : options.ApiKey;
        _client = new AudioClient(options.Model, new ApiKeyCredential(key), clientOptions);
        _voices = options.Voices is { Length: > 0 } v ? v : OpenAiTtsOptions.DefaultVoices;
    }

    public string Name => "openai";

    public async Task SynthesizeAsync(string text, int voiceIndex, string outputWavPath, CancellationToken ct)
    {
        var voice = new GeneratedSpeechVoice(_voices[Math.Abs(voiceIndex) % _voices.Length]);
        // A refused or failed request surfaces as ClientResultException; the pipeline host classifies it by its status.
        var audio = (await _client.GenerateSpeechAsync(text, voice, new SpeechGenerationOptions { ResponseFormat = GeneratedSpeechFormat.Wav }, ct)).Value;
        await File.WriteAllBytesAsync(outputWavPath, audio.ToArray(), ct);
    }

    // The model speaks the language of the text it is given.
    public bool Speaks(string language) => true;

    public async Task SynthesizeAsync(string text, string language, string? voice, string outputWavPath, CancellationToken ct)
    {
        var name = voice switch
        {
            null or "" => _voices[0],
            SpeechVoices.Male => "onyx",
            SpeechVoices.Female => "nova",
            _ => voice,
        };
        var audio = (await _client.GenerateSpeechAsync(text, new GeneratedSpeechVoice(name), new SpeechGenerationOptions { ResponseFormat = GeneratedSpeechFormat.Wav }, ct)).Value;
        await File.WriteAllBytesAsync(outputWavPath, audio.ToArray(), ct);
    }
}
