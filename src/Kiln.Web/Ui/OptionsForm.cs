using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kiln.Web.Ui;

/// <summary>One input rendered from a property of a pipeline's options JSON Schema.</summary>
public sealed record OptionField(string Name, string Label, string Kind, string? Description, double? Min, double? Max,
    string? Default, IReadOnlyList<string> Choices, bool Required)
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
            var kind = choices.Count > 0 ? "enum" : type is "integer" or "number" or "boolean" ? type : "string";
            var def = s.TryGetProperty("default", out var d) ? (d.ValueKind == JsonValueKind.True ? "true" : d.ValueKind == JsonValueKind.False ? "false" : d.ToString()) : null;
            fields.Add(new OptionField(p.Name, Str(s, "title") ?? Humanize(p.Name), kind, Str(s, "description"), Num(s, "minimum"), Num(s, "maximum"),
                def, choices, required.Contains(p.Name)));
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
                default:
                    obj[f.Name] = raw;
                    break;
            }
        }
        return (JsonSerializer.SerializeToElement(obj), errors);
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
