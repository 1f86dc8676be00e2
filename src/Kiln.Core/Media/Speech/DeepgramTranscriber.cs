using System.Net.Http.Headers;
using System.Text.Json;

namespace Kiln.Core.Media.Speech;

/// <summary>
/// Deepgram's pre-recorded API over REST (no .NET SDK is served here): <c>POST {BaseUrl}/v1/listen?model=…&amp;punctuate=true
/// &amp;utterances=true</c> plus <c>language=xx</c> or <c>detect_language=true</c>, <c>Authorization: Token KEY</c>, the
/// audio bytes as the body. Utterances become segments, their words (punctuated) the words. A refused request throws
/// <see cref="HttpRequestException"/> with its status.
/// </summary>
public sealed class DeepgramTranscriber(HttpClient http, SpeechEngineOptions options, string name = "deepgram") : ISpeechToText
{
    public const string DefaultBaseUrl = "https://api.deepgram.com";
    public const string DefaultModel = "nova-3";

    public string Name => name;
    public IReadOnlySet<string> Languages { get; } = new HashSet<string>(options.Languages ?? [], StringComparer.OrdinalIgnoreCase);
    public bool DetectsLanguage => true;

    public async Task<Transcript> TranscribeAsync(string mediaPath, string? language, CancellationToken ct)
    {
        if (!File.Exists(mediaPath)) throw new FileNotFoundException("The audio file does not exist.", mediaPath);
        language ??= options.Language;
        var baseUrl = (string.IsNullOrWhiteSpace(options.BaseUrl) ? DefaultBaseUrl : options.BaseUrl).TrimEnd('/');
        var query = $"model={Uri.EscapeDataString(string.IsNullOrWhiteSpace(options.Model) ? DefaultModel : options.Model)}&punctuate=true&utterances=true"
            + (string.IsNullOrWhiteSpace(language) ? "&detect_language=true" : "&language=" + Uri.EscapeDataString(language))
            + (options.Diarize ? "&diarize=true" : "");
        await using var stream = File.OpenRead(mediaPath);
        using var content = new StreamContent(stream);
        content.Headers.ContentType = new MediaTypeHeaderValue(MediaTypes.ForAudio(mediaPath));
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{baseUrl}/v1/listen?{query}") { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Token", options.ApiKey ?? "");
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"The speech-to-text service '{name}' answered {(int)response.StatusCode} ({response.ReasonPhrase}).", null, response.StatusCode);
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        using var json = await JsonDocument.ParseAsync(body, cancellationToken: ct);
        var transcript = ToTranscript(json.RootElement, language);
        return transcript.Segments.Count > 0 ? transcript : throw new NoSpeechFoundException("No speech was found in the audio.");
    }

    /// <summary>Reads <c>metadata.duration</c>, <c>results.channels[0].detected_language</c> and
    /// <c>results.utterances[{start,end,transcript,speaker?,words[{word,punctuated_word,start,end,confidence}]}]</c>.</summary>
    internal Transcript ToTranscript(JsonElement root, string? requested)
    {
        var duration = root.TryGetProperty("metadata", out var meta) ? Number(meta, "duration") ?? 0 : 0;
        string? detected = null;
        var segments = new List<TranscriptSegment>();
        if (root.TryGetProperty("results", out var results))
        {
            if (results.TryGetProperty("channels", out var channels) && channels.ValueKind == JsonValueKind.Array && channels.GetArrayLength() > 0)
                detected = LanguageNames.ToCode(Text(channels[0], "detected_language"));
            if (results.TryGetProperty("utterances", out var utterances) && utterances.ValueKind == JsonValueKind.Array)
                foreach (var u in utterances.EnumerateArray())
                {
                    var text = Text(u, "transcript");
                    if (text.Length == 0) continue;
                    var words = new List<TranscriptWord>();
                    if (u.TryGetProperty("words", out var ws) && ws.ValueKind == JsonValueKind.Array)
                        foreach (var w in ws.EnumerateArray())
                        {
                            var word = Text(w, "punctuated_word");
                            if (word.Length == 0) word = Text(w, "word");
                            if (word.Length == 0) continue;
                            words.Add(new TranscriptWord(Number(w, "start") ?? 0, Number(w, "end") ?? 0, word, Number(w, "confidence")));
                        }
                    string? speaker = u.TryGetProperty("speaker", out var sp) && sp.ValueKind == JsonValueKind.Number ? $"Speaker {sp.GetInt32() + 1}" : null;
                    segments.Add(new TranscriptSegment(Number(u, "start") ?? 0, Number(u, "end") ?? 0, text, words, speaker));
                }
        }
        return new Transcript(requested ?? detected ?? "und", duration, segments.OrderBy(s => s.Start).ToList(), name);
    }

    private static double? Number(JsonElement e, string property) =>
        e.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static string Text(JsonElement e, string property) =>
        e.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String ? (v.GetString() ?? "").Trim() : "";
}
