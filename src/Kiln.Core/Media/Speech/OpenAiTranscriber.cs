using System.Net.Http.Headers;
using System.Text.Json;

namespace Kiln.Core.Media.Speech;

/// <summary>
/// Any OpenAI-compatible <c>POST {BaseUrl}/audio/transcriptions</c> (OpenAI's whisper-1, faster-whisper-server,
/// LocalAI, whisper.cpp's server, Groq…): multipart with <c>file</c>, <c>model</c>, <c>response_format=verbose_json</c>
/// and <c>timestamp_granularities[]</c> <c>segment</c> and <c>word</c>. Files over the upload limit (OpenAI: 25 MB) are
/// re-encoded as 64 kbps mono MP3 and, if still too big, cut at quiet places and sent piece by piece. A refused request
/// throws <see cref="HttpRequestException"/> with its status (the pipeline host retries 429 and 5xx).
/// </summary>
public sealed class OpenAiTranscriber(HttpClient http, IProcessRunner runner, SpeechEngineOptions options, string name = "openai") : ISpeechToText
{
    public const string DefaultBaseUrl = "https://api.openai.com/v1";
    public const string DefaultModel = "whisper-1";

    public string Name => name;
    public IReadOnlySet<string> Languages { get; } = new HashSet<string>(options.Languages ?? [], StringComparer.OrdinalIgnoreCase);
    public bool DetectsLanguage => true;

    public async Task<Transcript> TranscribeAsync(string mediaPath, string? language, CancellationToken ct)
    {
        if (!File.Exists(mediaPath)) throw new FileNotFoundException("The audio file does not exist.", mediaPath);
        language ??= options.Language;
        var limit = Math.Max(64 * 1024, options.MaxUploadBytes);
        if (new FileInfo(mediaPath).Length <= limit)
        {
            var whole = ToTranscript(await SendAsync(mediaPath, language, ct), 0, language);
            return whole.Segments.Count > 0 ? whole : throw new NoSpeechFoundException("No speech was found in the audio.");
        }

        var dir = Directory.CreateTempSubdirectory("kiln-stt-");
        try
        {
            var pcm = Path.Combine(dir.FullName, "audio.pcm");
            var duration = await SpeechAudio.DecodeToPcmAsync(runner, mediaPath, pcm, ct);
            // 64 kbps = 8,000 bytes a second; keep 10 % for frame overhead and ID3.
            var maxSeconds = limit * 0.9 / 8000;
            var cuts = SpeechAudio.FindCutPoints(pcm, duration, duration <= maxSeconds ? double.MaxValue : maxSeconds * 0.8);
            var segments = new List<TranscriptSegment>();
            string? detected = null;
            var start = 0.0;
            var index = 0;
            foreach (var end in cuts.Append(duration))
            {
                var wav = Path.Combine(dir.FullName, $"chunk{index}.wav");
                var mp3 = Path.Combine(dir.FullName, $"chunk{index++}.mp3");
                await SpeechAudio.WriteWavSliceAsync(pcm, start, end, wav, ct);
                await SpeechAudio.EncodeMp3Async(runner, wav, mp3, ct);
                File.Delete(wav);
                var part = ToTranscript(await SendAsync(mp3, language, ct), start, language);
                File.Delete(mp3);
                if (part.Segments.Count > 0 && part.Language != "und") detected ??= part.Language;
                segments.AddRange(part.Segments);
                start = end;
            }
            if (segments.Count == 0) throw new NoSpeechFoundException("No speech was found in the audio.");
            return new Transcript(language ?? detected ?? "und", duration, segments, name);
        }
        finally
        {
            try { dir.Delete(recursive: true); } catch (IOException) { /* best effort: temp space */ }
        }
    }

    private async Task<JsonElement> SendAsync(string path, string? language, CancellationToken ct)
    {
        var baseUrl = (string.IsNullOrWhiteSpace(options.BaseUrl) ? DefaultBaseUrl : options.BaseUrl).TrimEnd('/');
        await using var stream = File.OpenRead(path);
        using var form = new MultipartFormDataContent();
        var file = new StreamContent(stream);
        file.Headers.ContentType = new MediaTypeHeaderValue(MediaTypes.ForAudio(path));
        form.Add(file, "file", Path.GetFileName(path));
        form.Add(new StringContent(string.IsNullOrWhiteSpace(options.Model) ? DefaultModel : options.Model), "model");
        form.Add(new StringContent("verbose_json"), "response_format");
        form.Add(new StringContent("segment"), "timestamp_granularities[]");
        form.Add(new StringContent("word"), "timestamp_granularities[]");
        if (!string.IsNullOrWhiteSpace(language)) form.Add(new StringContent(language), "language");
        using var request = new HttpRequestMessage(HttpMethod.Post, baseUrl + "/audio/transcriptions") { Content = form };
        if (!string.IsNullOrWhiteSpace(options.ApiKey)) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"The speech-to-text service '{name}' answered {(int)response.StatusCode} ({response.ReasonPhrase}).", null, response.StatusCode);
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        return (await JsonDocument.ParseAsync(body, cancellationToken: ct)).RootElement.Clone();
    }

    /// <summary>Reads verbose_json: <c>language</c> (a name such as "english"), <c>duration</c>, <c>segments[{start,end,text}]</c>
    /// and <c>words[{word,start,end}]</c>; words are given to the segment whose time span holds their middle.</summary>
    internal Transcript ToTranscript(JsonElement json, double offset, string? requested)
    {
        var duration = Number(json, "duration") ?? 0;
        var words = new List<TranscriptWord>();
        if (json.TryGetProperty("words", out var w) && w.ValueKind == JsonValueKind.Array)
            foreach (var word in w.EnumerateArray())
            {
                var text = Text(word, "word");
                if (text.Length == 0) continue;
                words.Add(new TranscriptWord(Round(offset + (Number(word, "start") ?? 0)), Round(offset + (Number(word, "end") ?? 0)), text));
            }
        var segments = new List<TranscriptSegment>();
        if (json.TryGetProperty("segments", out var s) && s.ValueKind == JsonValueKind.Array)
        {
            var raw = s.EnumerateArray()
                .Select(seg => (Start: Round(offset + (Number(seg, "start") ?? 0)), End: Round(offset + (Number(seg, "end") ?? 0)), Text: Text(seg, "text")))
                .Where(seg => seg.Text.Length > 0)
                .ToList();
            var next = 0;
            for (var i = 0; i < raw.Count; i++)
            {
                var mine = new List<TranscriptWord>();
                while (next < words.Count && (i == raw.Count - 1 || (words[next].Start + words[next].End) / 2 < raw[i].End)) mine.Add(words[next++]);
                segments.Add(new TranscriptSegment(raw[i].Start, raw[i].End, raw[i].Text, mine));
            }
        }
        else if (words.Count > 0 || Text(json, "text").Length > 0)
        {
            // Servers that ignore segment granularity: one segment with the whole text.
            var text = Text(json, "text");
            segments.Add(new TranscriptSegment(offset, Round(offset + duration), text.Length > 0 ? text : string.Join(' ', words.Select(x => x.Text)), words));
        }
        var language = requested ?? LanguageNames.ToCode(Text(json, "language"));
        return new Transcript(language ?? "und", Round(offset + duration), segments, name);
    }

    private static double? Number(JsonElement e, string property) =>
        e.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static string Text(JsonElement e, string property) =>
        e.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String ? (v.GetString() ?? "").Trim() : "";

    private static double Round(double v) => Math.Round(v, 3);
}

internal static class MediaTypes
{
    public static string ForAudio(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".wav" => "audio/wav",
        ".mp3" => "audio/mpeg",
        ".m4a" or ".m4b" or ".mp4" => "audio/mp4",
        ".ogg" or ".oga" or ".opus" => "audio/ogg",
        ".flac" => "audio/flac",
        ".webm" => "audio/webm",
        _ => "application/octet-stream",
    };
}
