using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Kiln.Core.Podcasts;

public sealed record Cue(double Start, double End, string Text, string? Speaker = null);

public sealed record Chapter(double StartTime, string Title);

/// <summary>
/// An episode keeps its transcript as WebVTT (what the user edits); SRT and the Podcasting 2.0 JSON transcript are
/// written from it, so the three never disagree. Chapters are Podcasting 2.0 JSON chapters.
/// </summary>
public static partial class TranscriptText
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    /// <summary>The cues of a WebVTT text; null when it is not WebVTT (no header or an unreadable timing line).</summary>
    public static IReadOnlyList<Cue>? ParseVtt(string vtt)
    {
        var lines = vtt.Replace("\r\n", "\n").Replace('\r', '\n').Split('\n');
        if (lines.Length == 0 || !lines[0].TrimStart('\uFEFF').StartsWith("WEBVTT", StringComparison.Ordinal)) return null;
        var cues = new List<Cue>();
        for (var i = 1; i < lines.Length; i++)
        {
            var m = Timing().Match(lines[i]);
            if (!m.Success) continue;
            var start = Seconds(m.Groups[1].Value);
            var end = Seconds(m.Groups[2].Value);
            if (start is null || end is null || end < start) return null;
            var text = new StringBuilder();
            for (i++; i < lines.Length && lines[i].Trim().Length > 0; i++)
                text.Append(text.Length > 0 ? "\n" : "").Append(lines[i].Trim());
            var body = text.ToString();
            string? speaker = null;
            var voice = Voice().Match(body);
            if (voice.Success)
            {
                speaker = voice.Groups[1].Value.Trim();
                body = Voice().Replace(body, "").Replace("</v>", "");
            }
            cues.Add(new Cue(start.Value, end.Value, body.Trim(), speaker));
        }
        return cues;
    }

    public static string ToSrt(IReadOnlyList<Cue> cues)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < cues.Count; i++)
            sb.Append(CultureInfo.InvariantCulture, $"{i + 1}\n{Stamp(cues[i].Start, ',')} --> {Stamp(cues[i].End, ',')}\n{cues[i].Text}\n\n");
        return sb.ToString();
    }

    public static string ToVtt(IReadOnlyList<Cue> cues)
    {
        var sb = new StringBuilder("WEBVTT\n\n");
        foreach (var c in cues)
            sb.Append(CultureInfo.InvariantCulture, $"{Stamp(c.Start, '.')} --> {Stamp(c.End, '.')}\n{(c.Speaker is null ? "" : $"<v {c.Speaker}>")}{c.Text}\n\n");
        return sb.ToString();
    }

    /// <summary>The Podcasting 2.0 JSON transcript (<c>{"version":"1.0.0","segments":[…]}</c>).</summary>
    public static string ToPodcastJson(IReadOnlyList<Cue> cues) => JsonSerializer.Serialize(new
    {
        version = "1.0.0",
        segments = cues.Select(c => new { speaker = c.Speaker, startTime = Math.Round(c.Start, 3), endTime = Math.Round(c.End, 3), body = c.Text }),
    }, Json);

    /// <summary>Chapters from Podcasting 2.0 JSON chapters; null when the JSON is not that.</summary>
    public static IReadOnlyList<Chapter>? ParseChapters(string? json)
    {
        if (string.IsNullOrWhiteSpace(json)) return [];
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (!doc.RootElement.TryGetProperty("chapters", out var list) || list.ValueKind != JsonValueKind.Array) return null;
            var chapters = new List<Chapter>();
            foreach (var c in list.EnumerateArray())
            {
                if (!c.TryGetProperty("startTime", out var st) || st.ValueKind != JsonValueKind.Number) return null;
                var title = c.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
                chapters.Add(new Chapter(st.GetDouble(), title));
            }
            return chapters.OrderBy(c => c.StartTime).ToList();
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static string ChaptersJson(IEnumerable<Chapter> chapters) => JsonSerializer.Serialize(new
    {
        version = "1.2.0",
        chapters = chapters.OrderBy(c => c.StartTime).Select(c => new { startTime = Math.Round(c.StartTime, 3), title = c.Title }),
    }, Json);

    /// <summary>Chapters as the editor shows them: one "mm:ss Title" (or "h:mm:ss Title") a line.</summary>
    public static string ChaptersToLines(IReadOnlyList<Chapter> chapters) =>
        string.Join("\n", chapters.Select(c => $"{Clock(c.StartTime)} {c.Title}"));

    /// <summary>Reads "mm:ss Title" lines; the error names the first line it could not read.</summary>
    public static (IReadOnlyList<Chapter>? Chapters, string? Error) ChaptersFromLines(string text)
    {
        var chapters = new List<Chapter>();
        var n = 0;
        foreach (var raw in text.Replace("\r", "").Split('\n'))
        {
            n++;
            var line = raw.Trim();
            if (line.Length == 0) continue;
            var m = ChapterLine().Match(line);
            if (!m.Success || Seconds(m.Groups[1].Value) is not { } start)
                return (null, $"Line {n} (\"{(line.Length > 40 ? line[..40] + "…" : line)}\") does not start with a time like 12:34.");
            chapters.Add(new Chapter(start, m.Groups[2].Value.Trim()));
        }
        return (chapters.OrderBy(c => c.StartTime).ToList(), null);
    }

    public static string Clock(double seconds)
    {
        var t = TimeSpan.FromSeconds(Math.Max(0, Math.Floor(seconds)));
        return t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}" : $"{t.Minutes:00}:{t.Seconds:00}";
    }

    private static double? Seconds(string stamp)
    {
        var parts = stamp.Replace(',', '.').Split(':');
        if (parts.Length == 2) parts = ["0", parts[0], parts[1]];
        if (parts.Length != 3) return null;
        if (!int.TryParse(parts[0], CultureInfo.InvariantCulture, out var h) || !int.TryParse(parts[1], CultureInfo.InvariantCulture, out var m)
            || !double.TryParse(parts[2], NumberStyles.Float, CultureInfo.InvariantCulture, out var s) || m >= 60 || s >= 60) return null;
        return h * 3600 + m * 60 + s;
    }

    private static string Stamp(double seconds, char separator)
    {
        var t = TimeSpan.FromMilliseconds(Math.Round(seconds * 1000));
        return $"{(int)t.TotalHours:00}:{t.Minutes:00}:{t.Seconds:00}{separator}{t.Milliseconds:000}";
    }

    [GeneratedRegex(@"^\s*((?:\d+:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?)\s+-->\s+((?:\d+:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?)")]
    private static partial Regex Timing();
    [GeneratedRegex(@"<v(?:\.[^ >]*)?\s+([^>]+)>")]
    private static partial Regex Voice();
    [GeneratedRegex(@"^((?:\d+:)?\d{1,2}:\d{2}(?:\.\d{1,3})?)\s+(.+)$")]
    private static partial Regex ChapterLine();
}
