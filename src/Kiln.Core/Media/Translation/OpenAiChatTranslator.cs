using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kiln.Core.Media.Translation;

/// <summary>
/// Translation by any OpenAI-compatible chat endpoint (<c>POST {BaseUrl}/chat/completions</c>: OpenAI, Ollama, vLLM, …).
/// Segments go as a JSON array and must come back as a JSON array of the same length (<c>response_format</c> json_object
/// with a <c>translations</c> key); a model that answers a different count is a provider failure, retried.
/// </summary>
public sealed class OpenAiChatTranslator(HttpClient http, OpenAiTranslationOptions options) : ITranslator
{
    private const int MaxSegmentsPerRequest = 40;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Name => "openai";

    public bool Supports(string source, string target) => source != target && Languages.IsIso6391(source) && Languages.IsIso6391(target);

    public IReadOnlySet<string>? Targets(string source) => null;

    public async Task<IReadOnlyList<string>> TranslateAsync(IReadOnlyList<string> segments, string source, string target, CancellationToken ct)
    {
        var results = new List<string>(segments.Count);
        foreach (var chunk in segments.Chunk(MaxSegmentsPerRequest))
        {
            var system = $"You translate subtitles from {Languages.Name(source)} ({source}) to {Languages.Name(target)} ({target}) for dubbing. " +
                "The user sends a JSON array of segments. Answer with a JSON object {\"translations\": [...]} holding exactly one translation per " +
                "segment, in order, each about as long as its source. Keep tokens like Zq0q unchanged.";
            var body = new ChatRequest(options.Model, [new("system", system), new("user", JsonSerializer.Serialize(chunk, Json))], 0, new("json_object"));
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(options.BaseUrl.TrimEnd('/') + "/"), "chat/completions"))
            {
                Content = JsonContent.Create(body),
            };
            if (!string.IsNullOrWhiteSpace(options.ApiKey)) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
            using var response = await http.SendAsync(request, ct);
            if (!response.IsSuccessStatusCode)
                throw new HttpRequestException($"The chat endpoint answered {(int)response.StatusCode}.", null, response.StatusCode);
            var answer = await response.Content.ReadFromJsonAsync<ChatResponse>(ct);
            var content = answer?.Choices?.FirstOrDefault()?.Message?.Content;
            var translations = Parse(content);
            if (translations is null || translations.Count != chunk.Length)
                throw new HttpRequestException($"The chat model answered {translations?.Count ?? 0} translations for {chunk.Length} segments.", null, System.Net.HttpStatusCode.BadGateway);
            results.AddRange(translations);
        }
        return results;
    }

    /// <summary>Reads <c>{"translations": [...]}</c> or a bare array, tolerating a Markdown code fence around it.</summary>
    internal static IReadOnlyList<string>? Parse(string? content)
    {
        if (string.IsNullOrWhiteSpace(content)) return null;
        var text = content.Trim();
        if (text.StartsWith("```", StringComparison.Ordinal))
        {
            var first = text.IndexOf('\n');
            var last = text.LastIndexOf("```", StringComparison.Ordinal);
            if (first > 0 && last > first) text = text[(first + 1)..last];
        }
        try
        {
            using var doc = JsonDocument.Parse(text);
            var array = doc.RootElement.ValueKind == JsonValueKind.Array ? doc.RootElement
                : doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("translations", out var t) ? t : default;
            if (array.ValueKind != JsonValueKind.Array) return null;
            return array.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() ?? "" : e.ToString()).ToList();
        }
        catch (JsonException) { return null; }
    }

    private sealed record ChatRequest(string Model, IReadOnlyList<ChatMessage> Messages, double Temperature,
        [property: JsonPropertyName("response_format")] ResponseFormat ResponseFormat);
    private sealed record ChatMessage(string Role, string Content);
    private sealed record ResponseFormat(string Type);
    private sealed record ChatResponse(List<ChatChoice>? Choices);
    private sealed record ChatChoice(ChatMessage? Message);
}
