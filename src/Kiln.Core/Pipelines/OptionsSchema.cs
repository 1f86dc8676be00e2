using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Kiln.Core.Common;

namespace Kiln.Core.Pipelines;

/// <summary>
/// One source for a pipeline's options: the record type. From it come the JSON Schema (form, OpenAPI,
/// <c>GET /api/pipelines</c>) and the validation every request passes once, before <c>Plan</c>. Ranges, lengths,
/// patterns, titles and descriptions come from DataAnnotations / <see cref="DescriptionAttribute"/>; defaults from
/// the record's property initializers; enums are camelCase strings.
/// </summary>
public sealed class OptionsSchema<TOptions> where TOptions : class, new()
{
    public static readonly JsonSerializerOptions Json = CreateJsonOptions();

    private readonly JsonTypeInfo _type;
    private readonly Dictionary<string, JsonPropertyInfo> _properties;
    // Each option's DataAnnotations, read once: reading them per parse (reflection, new attribute instances) was a
    // measurable share of a worker's time per job at thousands of jobs a second. The attributes are only read after this.
    private readonly (JsonPropertyInfo Property, ValidationAttribute[] Rules)[] _rules;

    public OptionsSchema()
    {
        _type = Json.GetTypeInfo(typeof(TOptions));
        _properties = _type.Properties.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        _rules = [.. _type.Properties
            .Where(p => p.AttributeProvider is MemberInfo && p.Get is not null)
            .Select(p => (p, ((MemberInfo)p.AttributeProvider!).GetCustomAttributes<ValidationAttribute>(true).ToArray()))
            .Where(r => r.Item2.Length > 0)];
        Schema = Build();
    }

    public JsonElement Schema { get; }

    private static JsonSerializerOptions CreateJsonOptions()
    {
        var o = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            NumberHandling = JsonNumberHandling.Strict,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
        };
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        o.MakeReadOnly();
        return o;
    }

    public JsonElement Serialize(TOptions options) => JsonSerializer.SerializeToElement(options, Json);

    /// <summary>Reads options. Unknown names, wrong types and broken rules answer <c>invalid_options</c> naming the field and the rule.</summary>
    public Result<TOptions> Parse(JsonElement json)
    {
        if (json.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null) return Validated(new TOptions());
        if (json.ValueKind != JsonValueKind.Object) return Invalid(null, "type", "Options must be a JSON object.");

        var present = new JsonObject();
        foreach (var p in json.EnumerateObject())
        {
            if (!_properties.TryGetValue(p.Name, out var info))
                return Invalid(p.Name, "unknown", $"Unknown option '{p.Name}'. This pipeline's options are: {string.Join(", ", _properties.Values.Select(v => v.Name))}.");
            // null means "use the default", as if the option were absent.
            if (p.Value.ValueKind != JsonValueKind.Null) present[info.Name] = JsonNode.Parse(p.Value.GetRawText());
        }
        TOptions? value;
        try
        {
            value = present.Deserialize<TOptions>(Json);
        }
        catch (JsonException ex)
        {
            var field = ex.Path is { Length: > 2 } path ? path[2..].Split('.', '[')[0] : null;
            if (field is null || !_properties.TryGetValue(field, out var info)) return Invalid(field, "type", "Options are not valid JSON for this pipeline.");
            return Invalid(info.Name, "type", $"{Title(info)} must be {Describe(info.PropertyType)}.");
        }
        return value is null ? Invalid(null, "type", "Options must be a JSON object.") : Validated(value);
    }

    /// <summary>Checks each option's DataAnnotations; the message names the option by its title, as the form shows it.</summary>
    private Result<TOptions> Validated(TOptions value)
    {
        foreach (var (p, rules) in _rules)
        {
            var v = p.Get!(value);
            foreach (var a in rules)
                if (!a.IsValid(v)) return Invalid(p.Name, "rule", Message(a, Title(p), v));
        }
        return value;
    }

    private static string Message(ValidationAttribute a, string title, object? value) => a switch
    {
        RangeAttribute r when value is IConvertible c && c.ToDouble(CultureInfo.InvariantCulture) < Convert.ToDouble(r.Minimum, CultureInfo.InvariantCulture)
            => $"{title} must be at least {r.Minimum}.",
        RangeAttribute r => $"{title} must be at most {r.Maximum}.",
        StringLengthAttribute sl when value is string str && str.Length < sl.MinimumLength => $"{title} must be at least {sl.MinimumLength} characters.",
        StringLengthAttribute sl => $"{title} must be at most {sl.MaximumLength} characters.",
        AllowedValuesAttribute av => $"{title} must be one of: {string.Join(", ", av.Values)}.",
        RegularExpressionAttribute => $"{title} is not in the expected format.",
        MinLengthAttribute min => $"{title} needs at least {min.Length} value(s).",
        MaxLengthAttribute max => $"{title} takes at most {max.Length} value(s).",
        ItemLengthAttribute il => $"Each of {title} must be 1 to {il.Max} characters.",
        _ => a.ErrorMessage ?? a.FormatErrorMessage(title),
    };

    private static string Title(JsonPropertyInfo p) =>
        (p.AttributeProvider as MemberInfo)?.GetCustomAttribute<DisplayAttribute>()?.Name ?? OptionTitles.Humanize(p.Name);

    private static Error Invalid(string? field, string rule, string message) => PipelineErrors.InvalidOptions(field, rule, message);

    private static string Describe(Type t)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        if (t == typeof(bool)) return "true or false";
        if (t == typeof(int) || t == typeof(long)) return "a whole number";
        if (t == typeof(double) || t == typeof(decimal) || t == typeof(float)) return "a number";
        if (t.IsEnum) return "one of: " + string.Join(", ", Enum.GetNames(t).Select(n => JsonNamingPolicy.CamelCase.ConvertName(n)));
        if (t == typeof(string)) return "text";
        if (t.IsArray || (t.IsGenericType && t.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>)))) return "a list";
        return "an object";
    }

    private JsonElement Build()
    {
        var node = Json.GetJsonSchemaAsNode(typeof(TOptions), new JsonSchemaExporterOptions
        {
            TreatNullObliviousAsNonNullable = true,
            TransformSchemaNode = (ctx, schema) =>
            {
                if (schema is not JsonObject obj || ctx.PropertyInfo?.AttributeProvider is not { } attrs) return schema;
                // "string or null" is still a string to a form: empty means absent.
                if (obj["type"] is JsonArray types && types.Count == 2 && types.Any(t => t?.GetValue<string>() == "null"))
                    obj["type"] = types.First(t => t?.GetValue<string>() != "null")!.GetValue<string>();
                if (obj["enum"] is JsonArray values && values.Any(v => v is null)) obj["enum"] = new JsonArray(values.Where(v => v is not null).Select(v => v!.DeepClone()).ToArray());
                foreach (var a in attrs.GetCustomAttributes(true))
                    switch (a)
                    {
                        case DisplayAttribute d when d.Name is not null: obj["title"] = d.Name; break;
                        case DescriptionAttribute d: obj["description"] = d.Description; break;
                        case RangeAttribute r:
                            obj["minimum"] = JsonValue.Create(Convert.ToDouble(r.Minimum, CultureInfo.InvariantCulture));
                            obj["maximum"] = JsonValue.Create(Convert.ToDouble(r.Maximum, CultureInfo.InvariantCulture));
                            break;
                        case StringLengthAttribute s:
                            if (s.MinimumLength > 0) obj["minLength"] = s.MinimumLength;
                            obj["maxLength"] = s.MaximumLength;
                            break;
                        case RegularExpressionAttribute re: obj["pattern"] = re.Pattern; break;
                        // Numbers stay numbers, so a numeric option's enum matches its type (loudness presets −14, −16…).
                        case AllowedValuesAttribute av: obj["enum"] = new JsonArray(av.Values.Select(v => v switch
                            {
                                int i => JsonValue.Create(i),
                                long l => JsonValue.Create(l),
                                double d => JsonValue.Create(d),
                                _ => JsonValue.Create(v?.ToString()),
                            }).ToArray<JsonNode?>()); break;
                        case MinLengthAttribute min: obj["minItems"] = min.Length; break;
                        case MaxLengthAttribute max: obj["maxItems"] = max.Length; break;
                        case ItemLengthAttribute il: if (obj["items"] is JsonObject items) items["maxLength"] = il.Max; break;
                        case VoicePickerAttribute vp: obj["x-voicePicker"] = new JsonObject { ["languages"] = vp.LanguagesOption, ["url"] = vp.VoicesUrl }; break;
                        case ChoicesFromAttribute cf: obj["x-choices"] = new JsonObject { ["url"] = cf.Url, ["dependsOn"] = cf.DependsOn }; break;
                    }
                return obj;
            },
        }).AsObject();
        node["$schema"] = "https://json-schema.org/draft/2020-12/schema";
        node["additionalProperties"] = false;
        if (node["properties"] is JsonObject props)
        {
            var defaults = JsonSerializer.SerializeToNode(new TOptions(), Json)!.AsObject();
            foreach (var (name, p) in props)
                if (p is JsonObject prop && defaults[name] is { } d) prop["default"] = d.DeepClone();
        }
        node.Remove("required");
        return JsonSerializer.SerializeToElement(node);
    }
}

public static class OptionTitles
{
    /// <summary>"maxChapters" → "Max chapters".</summary>
    public static string Humanize(string name)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var c in name)
        {
            if (char.IsUpper(c) && sb.Length > 0) sb.Append(' ');
            sb.Append(sb.Length == 0 ? char.ToUpperInvariant(c) : c is '_' or '-' ? ' ' : char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }
}

public static class PipelineErrors
{
    /// <summary>422 <c>invalid_options</c>, with the option's name (<c>field</c>) and the rule it broke (<c>rule</c>: unknown, type, rule).</summary>
    public static Error InvalidOptions(string? field, string rule, string message) =>
        new("invalid_options", message, ErrorKind.Unprocessable)
        {
            Extensions = new Dictionary<string, object?> { ["field"] = field, ["rule"] = rule },
        };
}

/// <summary>Each item of a list of strings is at most <see cref="Max"/> characters (shown in the schema as <c>items.maxLength</c>).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ItemLengthAttribute(int max) : ValidationAttribute
{
    public int Max { get; } = max;

    protected override ValidationResult? IsValid(object? value, ValidationContext context)
    {
        if (value is IEnumerable<string> items && items.Any(i => i is null || i.Trim().Length == 0 || i.Length > Max))
            return new ValidationResult(ErrorMessage ?? $"Each of '{context.DisplayName}' must be 1 to {Max} characters.", [context.MemberName!]);
        return ValidationResult.Success;
    }
}

/// <summary>
/// A list option of <c>language=voice</c> pairs whose languages are another option's values (<see cref="LanguagesOption"/>, by
/// its JSON name). The schema carries it as <c>x-voicePicker</c> so a form can offer one choice of voice per chosen language,
/// listed by <see cref="VoicesUrl"/> (<c>?language=xx</c> is appended) and written back into this option.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class VoicePickerAttribute(string languagesOption, string voicesUrl) : Attribute
{
    public string LanguagesOption { get; } = languagesOption;
    public string VoicesUrl { get; } = voicesUrl;
}

/// <summary>
/// A list option whose allowed values depend on what is installed here, listed by <see cref="Url"/> as
/// <c>{ "choices": [{ "value", "label" }] }</c>; with <see cref="DependsOn"/> (another option's JSON name) that option's
/// value is passed as <c>?{dependsOn}=value</c>. The schema carries it as <c>x-choices</c> so a form can offer
/// checkboxes instead of typed codes; the options record still validates what is posted.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ChoicesFromAttribute(string url, string? dependsOn = null) : Attribute
{
    public string Url { get; } = url;
    public string? DependsOn { get; } = dependsOn;
}
