using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kiln.Core.Common;

namespace Kiln.Core.Pipelines.Command;

/// <summary>Options of a command pipeline: the JSON Schema the form renders, and validation with defaults filled in.</summary>
public static class CommandOptions
{
    private static readonly string[] Types = ["string", "integer", "number", "boolean"];

    /// <summary>The options as a JSON Schema object (<c>type</c>, <c>properties</c>, <c>required</c>, <c>additionalProperties: false</c>).</summary>
    public static JsonElement ToJsonSchema(CommandOptionsSchema schema)
    {
        var properties = new JsonObject();
        foreach (var (name, p) in schema.Properties)
        {
            var node = new JsonObject { ["type"] = p.Type };
            if (p.Title is not null) node["title"] = p.Title;
            if (p.Description is not null) node["description"] = p.Description;
            if (p.Enum.Count > 0) node["enum"] = new JsonArray(p.Enum.Select(e => (JsonNode?)Parse(p.Type, e)).ToArray());
            if (p.Minimum is { } min) node["minimum"] = min;
            if (p.Maximum is { } max) node["maximum"] = max;
            if (p.Type == "string") node["maxLength"] = MaxLength(p);
            if (p.Default is not null) node["default"] = Parse(p.Type, p.Default);
            properties[name] = node;
        }
        var root = new JsonObject
        {
            ["type"] = "object",
            ["properties"] = properties,
            ["additionalProperties"] = false,
        };
        if (schema.Required.Count > 0) root["required"] = new JsonArray(schema.Required.Select(r => (JsonNode?)r).ToArray());
        return JsonSerializer.SerializeToElement(root);
    }

    /// <summary>
    /// Checks <paramref name="options"/> (an object, or null/undefined for none) against the schema and returns them
    /// with defaults filled in. Errors are 422 <c>invalid_options</c> naming the field and the rule.
    /// </summary>
    public static Result<JsonElement> Normalize(CommandOptionsSchema schema, JsonElement options)
    {
        if (options.ValueKind is not (JsonValueKind.Object or JsonValueKind.Undefined or JsonValueKind.Null))
            return Invalid(null, "Options must be a JSON object.");
        var result = new JsonObject();
        if (options.ValueKind == JsonValueKind.Object)
        {
            foreach (var prop in options.EnumerateObject())
            {
                if (!schema.Properties.TryGetValue(prop.Name, out var spec))
                    return Invalid(prop.Name, $"Unknown option '{prop.Name}'.");
                if (prop.Value.ValueKind == JsonValueKind.Null) continue;
                var error = Check(prop.Name, spec, prop.Value);
                if (error is not null) return Invalid(prop.Name, error);
                result[prop.Name] = JsonNode.Parse(prop.Value.GetRawText());
            }
        }
        foreach (var (name, spec) in schema.Properties)
            if (!result.ContainsKey(name) && spec.Default is not null) result[name] = Parse(spec.Type, spec.Default);
        foreach (var name in schema.Required)
            if (!result.ContainsKey(name)) return Invalid(name, $"The option '{name}' is required.");
        return JsonSerializer.SerializeToElement(result);
    }

    /// <summary>Problems with the schema itself, for <see cref="CommandPipelineConfiguration"/>.</summary>
    internal static IEnumerable<string> Problems(CommandOptionsSchema schema)
    {
        foreach (var (name, p) in schema.Properties)
        {
            if (!CommandTemplate.IsName(name))
            {
                yield return $"option '{name}' has a bad name (letters, digits, '_' and '-', starting with a letter)";
                continue;
            }
            if (!Types.Contains(p.Type))
            {
                yield return $"option '{name}' has type '{p.Type}' (expected one of {string.Join(", ", Types)})";
                continue;
            }
            foreach (var e in p.Enum)
                if (Parse(p.Type, e) is null) yield return $"option '{name}' has enum value '{e}' that is not a {p.Type}";
            if (p.Minimum > p.Maximum) yield return $"option '{name}' has minimum {p.Minimum} above maximum {p.Maximum}";
            if (p.Default is not null)
            {
                var parsed = Parse(p.Type, p.Default);
                var error = parsed is null
                    ? $"is not a {p.Type}"
                    : Check(name, p, JsonSerializer.SerializeToElement(parsed));
                if (error is not null) yield return $"option '{name}' has default '{p.Default}' that {(parsed is null ? error : "fails its own rule: " + error)}";
            }
        }
        foreach (var r in schema.Required)
            if (!schema.Properties.ContainsKey(r)) yield return $"required option '{r}' is not among the properties";
    }

    private static string? Check(string name, CommandOptionProperty spec, JsonElement v)
    {
        switch (spec.Type)
        {
            case "boolean":
                if (v.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) return $"The option '{name}' must be true or false.";
                return null;
            case "string":
                if (v.ValueKind != JsonValueKind.String) return $"The option '{name}' must be a string.";
                var s = v.GetString()!;
                if (s.Length > MaxLength(spec)) return $"The option '{name}' must be at most {MaxLength(spec)} characters.";
                if (s.Any(char.IsControl)) return $"The option '{name}' may not contain control characters.";
                if (spec.Enum.Count > 0 && !spec.Enum.Contains(s, StringComparer.Ordinal))
                    return $"The option '{name}' must be one of: {string.Join(", ", spec.Enum)}.";
                return null;
            default:
                if (v.ValueKind != JsonValueKind.Number) return $"The option '{name}' must be a number.";
                var d = v.GetDouble();
                if (spec.Type == "integer" && (d != Math.Floor(d) || !v.TryGetInt64(out _))) return $"The option '{name}' must be a whole number.";
                if (d < spec.Minimum) return $"The option '{name}' must be at least {spec.Minimum.Value.ToString(CultureInfo.InvariantCulture)}.";
                if (d > spec.Maximum) return $"The option '{name}' must be at most {spec.Maximum.Value.ToString(CultureInfo.InvariantCulture)}.";
                if (spec.Enum.Count > 0 && !spec.Enum.Any(e => double.TryParse(e, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && x == d))
                    return $"The option '{name}' must be one of: {string.Join(", ", spec.Enum)}.";
                return null;
        }
    }

    private static int MaxLength(CommandOptionProperty p) => p.MaxLength ?? 1000;

    /// <summary>A configuration string as a JSON value of <paramref name="type"/>; null when it is not one.</summary>
    private static JsonValue? Parse(string type, string value) => type switch
    {
        "string" => JsonValue.Create(value),
        "boolean" => bool.TryParse(value, out var b) ? JsonValue.Create(b) : null,
        "integer" => long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? JsonValue.Create(l) : null,
        "number" => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d) ? JsonValue.Create(d) : null,
        _ => null,
    };

    private static Error Invalid(string? field, string message) =>
        new("invalid_options", message, ErrorKind.Unprocessable)
        {
            Extensions = field is null ? null : new Dictionary<string, object?> { ["field"] = field },
        };
}
