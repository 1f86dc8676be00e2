using System.Net.Http.Json;
using System.Text.Json.Serialization;

namespace Kiln.Core.Media.Translation;

/// <summary>
/// DeepL over its REST API (no .NET SDK is served here): <c>POST /v2/translate</c> with
/// <c>Authorization: DeepL-Auth-Key …</c> and <c>{"text": [...], "source_lang": "EN", "target_lang": "ES"}</c>; the answer
/// is <c>{"translations": [{"detected_source_language", "text"}]}</c>, one per text in order. At most 50 texts per request.
/// </summary>
public sealed class DeepLTranslator(HttpClient http, DeepLOptions options) : ITranslator
{
    private const int MaxTextsPerRequest = 50;
    // DeepL's target languages (ISO 639-1; regional variants are chosen below).
    private static readonly HashSet<string> TargetLanguages = new(StringComparer.Ordinal)
    {
        "ar", "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "hu", "id", "it", "ja", "ko", "lt", "lv", "nb", "nl",
        "pl", "pt", "ro", "ru", "sk", "sl", "sv", "tr", "uk", "zh",
    };

    public string Name => "deepl";

    public bool Supports(string source, string target) => source != target && TargetLanguages.Contains(source) && TargetLanguages.Contains(target);

    public IReadOnlySet<string>? Targets(string source) => TargetLanguages.Where(t => t != source).ToHashSet(StringComparer.Ordinal);

    public async Task<IReadOnlyList<string>> TranslateAsync(IReadOnlyList<string> segments, string source, string target, CancellationToken ct)
    {
        var results = new List<string>(segments.Count);
        foreach (var chunk in segments.Chunk(MaxTextsPerRequest))
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(options.BaseUrl.TrimEnd('/') + "/"), "v2/translate"))
            {
                Content = JsonContent.Create(new DeepLRequest(chunk, source.ToUpperInvariant(), TargetCode(target))),
            };
            request.Headers.TryAddWithoutValidation("Authorization", $"DeepL-Auth-Key {options.ApiKey}");
            using var response = await http.SendAsync(request, ct);
            if (!response.IsSuccessStatusCode)
                throw new HttpRequestException($"DeepL answered {(int)response.StatusCode}.", null, response.StatusCode);
            var body = await response.Content.ReadFromJsonAsync<DeepLResponse>(ct);
            if (body?.Translations is not { } t || t.Count != chunk.Length)
                throw new HttpRequestException($"DeepL answered {body?.Translations?.Count ?? 0} translations for {chunk.Length} texts.", null, System.Net.HttpStatusCode.BadGateway);
            results.AddRange(t.Select(x => x.Text ?? ""));
        }
        return results;
    }

    // DeepL wants a variant for English and Portuguese targets.
    private static string TargetCode(string target) => target switch { "en" => "EN-US", "pt" => "PT-PT", _ => target.ToUpperInvariant() };

    private sealed record DeepLRequest(
        [property: JsonPropertyName("text")] IReadOnlyList<string> Text,
        [property: JsonPropertyName("source_lang")] string SourceLang,
        [property: JsonPropertyName("target_lang")] string TargetLang)
    {
        [JsonPropertyName("preserve_formatting")] public bool PreserveFormatting => true;
    }

    private sealed record DeepLResponse([property: JsonPropertyName("translations")] List<DeepLTranslation>? Translations);

    private sealed record DeepLTranslation(
        [property: JsonPropertyName("detected_source_language")] string? DetectedSourceLanguage,
        [property: JsonPropertyName("text")] string? Text);
}
