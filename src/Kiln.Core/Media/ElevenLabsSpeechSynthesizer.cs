using System.Net.Http.Json;

namespace Kiln.Core.Media;

/// <summary>
/// ElevenLabs text to speech over its REST API (no .NET SDK is served here): <c>POST /v1/text-to-speech/{voice_id}
/// ?output_format=pcm_44100</c> with the <c>xi-api-key</c> header and <c>{"text", "model_id"}</c>; the answer is raw
/// 16-bit mono PCM at 44.1 kHz, written here as a WAV file. A refused or failed request throws
/// <see cref="HttpRequestException"/> with its status, which the pipeline host classifies (429/5xx retried).
/// </summary>
public sealed class ElevenLabsSpeechSynthesizer(HttpClient http, ElevenLabsOptions options) : ISpeechSynthesizer, IMultilingualSpeechSynthesizer
{
    private const int SampleRate = 44100;

    public string Name => "elevenlabs";

    public Task SynthesizeAsync(string text, int voiceIndex, string outputWavPath, CancellationToken ct)
    {
        var voices = options.VoiceIds is { Length: > 0 } v ? v : ElevenLabsOptions.DefaultVoices;
        return SynthesizeWithVoiceIdAsync(text, voices[Math.Abs(voiceIndex) % voices.Length], outputWavPath, ct);
    }

    // The multilingual model speaks the language of the text it is given.
    public bool Speaks(string language) => true;

    /// <summary>"female" is the first configured voice (Rachel by default), "male" the second (Adam); anything else is a voice id.</summary>
    public Task SynthesizeAsync(string text, string language, string? voice, string outputWavPath, CancellationToken ct)
    {
        var voices = options.VoiceIds is { Length: > 0 } v ? v : ElevenLabsOptions.DefaultVoices;
        var id = voice switch
        {
            null or "" or SpeechVoices.Female => voices[0],
            SpeechVoices.Male => voices[Math.Min(1, voices.Length - 1)],
            _ => voice,
        };
        return SynthesizeWithVoiceIdAsync(text, id, outputWavPath, ct);
    }

    private async Task SynthesizeWithVoiceIdAsync(string text, string voiceId, string outputWavPath, CancellationToken ct)
    {
        var voice = Uri.EscapeDataString(voiceId);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(options.BaseUrl.TrimEnd('/') + "/"), $"v1/text-to-speech/{voice}?output_format=pcm_{SampleRate}"))
        {
            Content = JsonContent.Create(new { text, model_id = options.ModelId }),
        };
        request.Headers.Add("xi-api-key", options.ApiKey ?? "");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"ElevenLabs answered {(int)response.StatusCode}.", null, response.StatusCode);
        var pcm = await response.Content.ReadAsByteArrayAsync(ct);
        await using var file = File.Create(outputWavPath);
        await file.WriteAsync(WavHeader(pcm.Length), ct);
        await file.WriteAsync(pcm, ct);
    }

    /// <summary>The 44-byte RIFF header of a 16-bit mono PCM WAV file with <paramref name="dataBytes"/> of samples.</summary>
    internal static byte[] WavHeader(int dataBytes)
    {
        var h = new byte[44];
        void Text(int at, string s) { for (var i = 0; i < 4; i++) h[at + i] = (byte)s[i]; }
        void Int(int at, int value) => BitConverter.TryWriteBytes(h.AsSpan(at, 4), value);
        void Short(int at, short value) => BitConverter.TryWriteBytes(h.AsSpan(at, 2), value);
        Text(0, "RIFF"); Int(4, 36 + dataBytes); Text(8, "WAVE");
        Text(12, "fmt "); Int(16, 16); Short(20, 1); Short(22, 1); Int(24, SampleRate); Int(28, SampleRate * 2); Short(32, 2); Short(34, 16);
        Text(36, "data"); Int(40, dataBytes);
        return h;
    }
}

public sealed class ElevenLabsOptions
{
    // Two of ElevenLabs' premade voices (Rachel, Adam): the hosts of a podcast, the first narrates a book.
    internal static readonly string[] DefaultVoices = ["21m00Tcm4TlvDq8ikWAM", "pNInz6obpgDQGcFmaJgB"];
    public string BaseUrl { get; set; } = "https://api.elevenlabs.io";
    public string? ApiKey { get; set; }
    public string ModelId { get; set; } = "eleven_multilingual_v2";
    // Null by default: the binder appends configured array items to an initialized array instead of replacing it.
    public string[]? VoiceIds { get; set; }
    public int TimeoutSeconds { get; set; } = 120;
}
