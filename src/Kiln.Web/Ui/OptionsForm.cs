using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kiln.Web.Ui;

/// <summary>One input rendered from a property of a pipeline's options JSON Schema.</summary>
/// <param name="Kind">integer, number, boolean, enum, list (an array of strings, typed comma-separated) or string.</param>
/// <param name="Type">The schema's type: a choice among numbers (loudness presets) is posted back as a number.</param>
public sealed record OptionField(string Name, string Label, string Kind, string? Description, double? Min, double? Max,
    string? Default, IReadOnlyList<string> Choices, bool Required, string? Pattern = null, int? MinItems = null, int? MaxItems = null, string? Type = null)
{
    public string InputName => "o." + Name;
    /// <summary>For a list of <c>language=voice</c> pairs (<c>x-voicePicker</c>): the option holding the languages, and where their voices are listed.</summary>
    public VoicePicker? Voices { get; init; }
    /// <summary>For a list whose values are offered by the server (<c>x-choices</c>): checkboxes instead of typed codes.</summary>
    public ChoiceSource? ChoicesFrom { get; init; }
}

/// <param name="DependsOn">The name of the option whose value is passed to <paramref name="Url"/> (<c>?name=value</c>), or null.</param>
public sealed record ChoiceSource(string Url, string? DependsOn);

/// <param name="LanguagesField">The name of the option whose values are the languages.</param>
public sealed record VoicePicker(string LanguagesField, string Url);

/// <summary>Turns an options schema into form fields and posted form values back into an options object.</summary>
public static class OptionsForm
{
    public static IReadOnlyList<OptionField> Fields(JsonElement schema)
    {
        if (schema.ValueKind != JsonValueKind.Object || !schema.TryGetProperty("properties", out var props) || props.ValueKind != JsonValueKind.Object) return [];
        var required = schema.TryGetProperty("required", out var r) && r.ValueKind == JsonValueKind.Array
            ? r.EnumerateArray().Select(x => x.GetString()).OfType<string>().ToHashSet(StringComparer.Ordinal) : [];
        var fields = new List<OptionField>();
        foreach (var p in props.EnumerateObject())
        {
            var s = p.Value;
            var type = Str(s, "type") ?? "string";
            var choices = s.TryGetProperty("enum", out var e) && e.ValueKind == JsonValueKind.Array
                ? e.EnumerateArray().Select(x => x.ToString()).ToList() : [];
            var kind = choices.Count > 0 ? "enum" : type is "integer" or "number" or "boolean" ? type : type == "array" ? "list" : "string";
            var def = s.TryGetProperty("default", out var d) ? d.ValueKind switch
            {
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                JsonValueKind.Array => string.Join(", ", d.EnumerateArray().Select(x => x.ToString())),
                _ => d.ToString(),
            } : null;
            var description = Str(s, "description") ?? (kind == "list" ? "Separate values with commas." : null);
            fields.Add(new OptionField(p.Name, Str(s, "title") ?? Kiln.Core.Pipelines.OptionTitles.Humanize(p.Name), kind, description, Num(s, "minimum"), Num(s, "maximum"),
                def, choices, required.Contains(p.Name), Str(s, "pattern"), (int?)Num(s, "minItems"), (int?)Num(s, "maxItems"), type)
            {
                Voices = s.TryGetProperty("x-voicePicker", out var vp) && vp.ValueKind == JsonValueKind.Object && Str(vp, "languages") is { } languages && Str(vp, "url") is { } url
                    ? new VoicePicker(languages, url) : null,
                ChoicesFrom = s.TryGetProperty("x-choices", out var xc) && xc.ValueKind == JsonValueKind.Object && Str(xc, "url") is { } choicesUrl
                    ? new ChoiceSource(choicesUrl, Str(xc, "dependsOn")) : null,
            });
        }
        return fields;
    }

    /// <summary>
    /// Turns the posted text into JSON values of the schema's types; empty optional fields are left out so the pipeline
    /// applies its defaults. It does not validate: the pipeline's options record does, once, for the form and the API
    /// alike (a value that is not even a number is passed on as text, and the validation names it).
    /// </summary>
    public static JsonElement Bind(IReadOnlyList<OptionField> fields, Func<string, string?> value)
    {
        var obj = new JsonObject();
        foreach (var f in fields)
        {
            var raw = value(f.InputName)?.Trim();
            if (f.Kind == "boolean")
            {
                obj[f.Name] = raw is "true" or "on";
                continue;
            }
            if (string.IsNullOrEmpty(raw)) continue;
            obj[f.Name] = f.Kind switch
            {
                "integer" or "enum" when f.Type == "integer" && long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var ei) => ei,
                "integer" when long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) => i,
                "number" when double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) => n,
                "list" => new JsonArray(raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(i => (JsonNode?)JsonValue.Create(i)).ToArray()),
                _ => raw,
            };
        }
        return JsonSerializer.SerializeToElement(obj);
    }

    private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static double? Num(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;
}
