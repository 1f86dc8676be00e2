using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Kiln.Core.Pipelines.Command;

internal enum PlaceholderKind { Input, Output, Option, Scratch }

internal abstract record TemplatePart;

internal sealed record LiteralPart(string Text) : TemplatePart;

internal sealed record PlaceholderPart(PlaceholderKind Kind, string Name) : TemplatePart
{
    public override string ToString() => Kind switch
    {
        PlaceholderKind.Input => $"{{input.{Name}}}",
        PlaceholderKind.Option => $"{{options.{Name}}}",
        PlaceholderKind.Output => "{output}",
        _ => "{scratch}",
    };
}

/// <summary>
/// Parses and expands argument templates. Each template item becomes exactly one argv entry (or none, when it
/// mentions a value that is absent); values are inserted verbatim and never seen by a shell.
/// </summary>
internal static class CommandTemplate
{
    /// <summary>Splits <paramref name="template"/> into literal text and placeholders; <paramref name="error"/> explains a bad one.</summary>
    public static IReadOnlyList<TemplatePart> Parse(string template, out string? error)
    {
        error = null;
        var parts = new List<TemplatePart>();
        var literal = new StringBuilder();
        for (var i = 0; i < template.Length; i++)
        {
            var c = template[i];
            if (c == '{' && i + 1 < template.Length && template[i + 1] == '{') { literal.Append('{'); i++; continue; }
            if (c == '}' && i + 1 < template.Length && template[i + 1] == '}') { literal.Append('}'); i++; continue; }
            if (c == '}') { error = $"has a '}}' without its '{{' (write '}}}}' for a literal brace)"; return parts; }
            if (c != '{') { literal.Append(c); continue; }

            var end = template.IndexOf('}', i + 1);
            if (end < 0) { error = "has a '{' without its '}' (write '{{' for a literal brace)"; return parts; }
            var token = template[(i + 1)..end];
            PlaceholderPart? placeholder = token switch
            {
                "output" => new(PlaceholderKind.Output, ""),
                "scratch" => new(PlaceholderKind.Scratch, ""),
                _ when token.StartsWith("input.", StringComparison.Ordinal) && IsName(token[6..]) => new(PlaceholderKind.Input, token[6..]),
                _ when token.StartsWith("options.", StringComparison.Ordinal) && IsName(token[8..]) => new(PlaceholderKind.Option, token[8..]),
                _ => null,
            };
            if (placeholder is null)
            {
                error = $"uses unknown placeholder {{{token}}} (known: {{input.<slot>}}, {{output}}, {{options.<name>}}, {{scratch}})";
                return parts;
            }
            if (literal.Length > 0) { parts.Add(new LiteralPart(literal.ToString())); literal.Clear(); }
            parts.Add(placeholder);
            i = end;
        }
        if (literal.Length > 0) parts.Add(new LiteralPart(literal.ToString()));
        return parts;
    }

    /// <summary>Slot and option names: letters, digits, '_' and '-', starting with a letter.</summary>
    public static bool IsName(string s) =>
        s.Length is > 0 and <= 64 && char.IsAsciiLetter(s[0]) && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    /// <summary>
    /// Expands every argument. Returns null and an error message when an option value would stand alone as an
    /// argument and begins with '-' (the command would read it as a flag).
    /// </summary>
    public static List<string>? Expand(
        IEnumerable<string> templates, IReadOnlyDictionary<string, string> inputs, JsonElement options,
        string scratch, string output, out string? error)
    {
        error = null;
        var argv = new List<string>();
        foreach (var template in templates)
        {
            var parts = Parse(template, out var parseError);
            if (parseError is not null) throw new InvalidOperationException($"Argument '{template}' {parseError}.");
            var sb = new StringBuilder();
            var absent = false;
            foreach (var part in parts)
            {
                if (part is LiteralPart l) { sb.Append(l.Text); continue; }
                var p = (PlaceholderPart)part;
                var value = p.Kind switch
                {
                    PlaceholderKind.Output => output,
                    PlaceholderKind.Scratch => scratch,
                    PlaceholderKind.Input => inputs.GetValueOrDefault(p.Name),
                    _ => FormatOption(options, p.Name),
                };
                if (value is null) { absent = true; break; }
                if (p.Kind == PlaceholderKind.Option && parts.Count == 1 && value.StartsWith('-'))
                {
                    error = $"The option '{p.Name}' may not begin with '-'.";
                    return null;
                }
                sb.Append(value);
            }
            if (!absent) argv.Add(sb.ToString());
        }
        return argv;
    }

    private static string? FormatOption(JsonElement options, string name)
    {
        if (options.ValueKind != JsonValueKind.Object || !options.TryGetProperty(name, out var v)) return null;
        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Number => v.TryGetInt64(out var l) ? l.ToString(CultureInfo.InvariantCulture) : v.GetDouble().ToString("R", CultureInfo.InvariantCulture),
            _ => null,
        };
    }
}
