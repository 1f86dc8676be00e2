using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kiln.Web.Ui;

/// <summary>One input rendered from a property of a pipeline's options JSON Schema.</summary>
/// <param name="Kind">integer, number, boolean, enum, list (an array of strings, typed comma-separated) or string.</param>
public sealed record OptionField(string Name, string Label, string Kind, string? Description, double? Min, double? Max,
    string? Default, IReadOnlyList<string> Choices, bool Required, string? Pattern = null, int? MinItems = null, int? MaxItems = null)
{
    public string InputName => "o." + Name;
}

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
            fields.Add(new OptionField(p.Name, Str(s, "title") ?? Humanize(p.Name), kind, description, Num(s, "minimum"), Num(s, "maximum"),
                def, choices, required.Contains(p.Name), Str(s, "pattern"), (int?)Num(s, "minItems"), (int?)Num(s, "maxItems")));
        }
        return fields;
    }

    /// <summary>Reads the posted values; empty optional fields are left out so the pipeline applies its defaults.</summary>
    public static (JsonElement Options, Dictionary<string, string> Errors) Bind(IReadOnlyList<OptionField> fields, Func<string, string?> value)
    {
        var obj = new JsonObject();
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var f in fields)
        {
            var raw = value(f.InputName)?.Trim();
            if (f.Kind == "boolean")
            {
                obj[f.Name] = raw is "true" or "on";
                continue;
            }
            if (string.IsNullOrEmpty(raw))
            {
                if (f.Required) errors[f.Name] = $"{f.Label} is required.";
                continue;
            }
            switch (f.Kind)
            {
                case "integer":
                    if (!long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i)) errors[f.Name] = $"{f.Label} must be a whole number.";
                    else if (Range(f, i) is { } ie) errors[f.Name] = ie;
                    else obj[f.Name] = i;
                    break;
                case "number":
                    if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var n)) errors[f.Name] = $"{f.Label} must be a number.";
                    else if (Range(f, n) is { } ne) errors[f.Name] = ne;
                    else obj[f.Name] = n;
                    break;
                case "enum":
                    if (!f.Choices.Contains(raw)) errors[f.Name] = $"Choose one of: {string.Join(", ", f.Choices)}.";
                    else obj[f.Name] = raw;
                    break;
                case "list":
                    var items = raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    if (f.MinItems is { } lo && items.Length < lo || f.MaxItems is { } hi && items.Length > hi)
                        errors[f.Name] = f.MinItems == f.MaxItems ? $"{f.Label}: give exactly {f.MinItems} values, separated by commas."
                            : $"{f.Label}: give between {f.MinItems ?? 0} and {f.MaxItems?.ToString(CultureInfo.InvariantCulture) ?? "any number of"} values.";
                    else obj[f.Name] = new JsonArray(items.Select(i => (JsonNode?)JsonValue.Create(i)).ToArray());
                    break;
                default:
                    if (f.Pattern is not null && !Matches(f.Pattern, raw)) errors[f.Name] = $"{f.Label} is not in the expected format.";
                    else obj[f.Name] = raw;
                    break;
            }
        }
        return (JsonSerializer.SerializeToElement(obj), errors);
    }

    private static bool Matches(string pattern, string value)
    {
        try { return System.Text.RegularExpressions.Regex.IsMatch(value, pattern, System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromMilliseconds(100)); }
        catch (ArgumentException) { return true; } // a pattern .NET cannot parse is left to the pipeline's own validation
        catch (System.Text.RegularExpressions.RegexMatchTimeoutException) { return false; }
    }

    private static string? Range(OptionField f, double v) =>
        f.Min is { } min && v < min ? $"{f.Label} must be at least {min.ToString(CultureInfo.InvariantCulture)}."
        : f.Max is { } max && v > max ? $"{f.Label} must be at most {max.ToString(CultureInfo.InvariantCulture)}." : null;

    private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static double? Num(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : null;

    private static string Humanize(string name)
    {
        var chars = new List<char>();
        foreach (var c in name)
        {
            if (char.IsUpper(c) && chars.Count > 0) chars.Add(' ');
            chars.Add(chars.Count == 0 ? char.ToUpperInvariant(c) : c is '_' or '-' ? ' ' : char.ToLowerInvariant(c));
        }
        return new string(chars.ToArray());
    }
}
