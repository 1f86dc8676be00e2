using System.Text.Json;
using Kiln.Core.Common;

namespace Kiln.Core.Pipelines.PdfPodcast;

/// <summary>The pipeline's options after validation; <see cref="ToJson"/> is what the job stores.</summary>
public sealed record PdfPodcastOptions(string? Pages, string HostA, string HostB, string Style, bool Audio, int MaxChapters)
{
    public const string Conversational = "conversational";
    public const string Lecture = "lecture";
    public const int DefaultMaxChapters = 12;
    public const int MaxHostNameLength = 40;

    public IReadOnlyList<string> Hosts => [HostA, HostB];

    public static readonly JsonElement Schema = JsonDocument.Parse("""
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "pages": { "type": "string", "title": "Pages", "description": "Pages to include, like 1-10 or 3,5-7. Empty means all.", "pattern": "^\\s*\\d+(\\s*-\\s*\\d+)?(\\s*,\\s*\\d+(\\s*-\\s*\\d+)?)*\\s*$" },
            "hosts": { "type": "array", "title": "Host names", "items": { "type": "string", "minLength": 1, "maxLength": 40 }, "minItems": 2, "maxItems": 2, "default": ["Alex", "Sam"] },
            "style": { "type": "string", "title": "Style", "enum": ["conversational", "lecture"], "default": "conversational" },
            "audio": { "type": "boolean", "title": "Narrated MP3", "description": "Also produce podcast.mp3 with two voices (costs extra).", "default": false },
            "maxChapters": { "type": "integer", "title": "Maximum chapters", "minimum": 1, "maximum": 50, "default": 12 }
          }
        }
        """).RootElement.Clone();

    /// <summary>Reads options; absent or null options mean all defaults. Page ranges are checked later, against the page count.</summary>
    public static Result<PdfPodcastOptions> Parse(JsonElement json)
    {
        var options = new PdfPodcastOptions(null, "Alex", "Sam", Conversational, false, DefaultMaxChapters);
        if (json.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null) return options;
        if (json.ValueKind != JsonValueKind.Object) return Invalid("Options must be a JSON object.");

        foreach (var prop in json.EnumerateObject())
        {
            var v = prop.Value;
            if (v.ValueKind == JsonValueKind.Null) continue;
            switch (prop.Name)
            {
                case "pages":
                    if (v.ValueKind != JsonValueKind.String) return Invalid("\"pages\" must be a string like \"1-10\".");
                    options = options with { Pages = string.IsNullOrWhiteSpace(v.GetString()) ? null : v.GetString()!.Trim() };
                    break;
                case "hosts":
                    if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() != 2
                        || v.EnumerateArray().Any(h => h.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(h.GetString())))
                        return Invalid("\"hosts\" must be a list of exactly two names.");
                    var names = v.EnumerateArray().Select(h => h.GetString()!.Trim()).ToArray();
                    if (names.Any(n => n.Length > MaxHostNameLength || n.Contains(':', StringComparison.Ordinal) || n.Contains('|', StringComparison.Ordinal)))
                        return Invalid($"Host names must be at most {MaxHostNameLength} characters and contain no ':' or '|'.");
                    if (string.Equals(names[0], names[1], StringComparison.OrdinalIgnoreCase))
                        return Invalid("The two hosts need different names.");
                    options = options with { HostA = names[0], HostB = names[1] };
                    break;
                case "style":
                    var style = v.ValueKind == JsonValueKind.String ? v.GetString()!.Trim().ToLowerInvariant() : null;
                    if (style is not (Conversational or Lecture)) return Invalid("\"style\" must be \"conversational\" or \"lecture\".");
                    options = options with { Style = style };
                    break;
                case "audio":
                    if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) return Invalid("\"audio\" must be true or false.");
                    options = options with { Audio = v.GetBoolean() };
                    break;
                case "maxChapters":
                    if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out var max) || max is < 1 or > 50)
                        return Invalid("\"maxChapters\" must be a whole number from 1 to 50.");
                    options = options with { MaxChapters = max };
                    break;
                default:
                    return Invalid($"Unknown option \"{prop.Name}\".");
            }
        }
        return options;
    }

    public JsonElement ToJson() => JsonSerializer.SerializeToElement(new
    {
        pages = Pages,
        hosts = Hosts,
        style = Style,
        audio = Audio,
        maxChapters = MaxChapters,
    });

    private static Error Invalid(string message) => Error.Invalid("invalid_options", message);
}
