using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kiln.Core.Media.Speech;

namespace Kiln.Core.Podcasts;

public sealed record Chapter(double StartTime, string Title);

/// <summary>
/// An episode keeps its transcript as WebVTT (what the user edits); SRT and the Podcasting 2.0 JSON transcript are
/// written from it by <see cref="Captions"/>, so the three never disagree, and it is read by the shared
/// <see cref="CaptionParser"/>. Chapters are Podcasting 2.0 JSON chapters.
/// </summary>
public static partial class TranscriptText
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    /// <summary>
    /// Reads an edited transcript — WebVTT, or SRT pasted in — with the shared strict caption parser; the error says
    /// which line is wrong. Text with no cues at all (a bare "WEBVTT") reads as an empty transcript.
    /// </summary>
    public static (IReadOnlyList<CaptionCue>? Cues, string? Error) Read(string text)
    {
        try
        {
            return (Cues(CaptionParser.Parse(text)), null);
        }
        catch (CaptionFormatException e) when (e.Line == 0 && e.Problem.StartsWith("it holds no cues", StringComparison.Ordinal))
        {
            return ([], null);
        }
        catch (CaptionFormatException e)
        {
            return (null, e.Message);
        }
    }

    /// <summary>The cues of an episode's stored WebVTT (empty when there is none or it no longer parses).</summary>
    public static IReadOnlyList<CaptionCue> Cues(string? vtt) => string.IsNullOrWhiteSpace(vtt) ? [] : Read(vtt).Cues ?? [];

    // The stored transcript keeps its own cue boundaries (the user edited them): one cue per parsed segment, not re-cut.
    private static List<CaptionCue> Cues(Transcript t) => t.Segments.Select(s => new CaptionCue(s.Start, s.End, s.Text, s.Speaker)).ToList();

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

    [GeneratedRegex(@"^((?:\d+:)?\d{1,2}:\d{2}(?:\.\d{1,3})?)\s+(.+)$")]
    private static partial Regex ChapterLine();
}
