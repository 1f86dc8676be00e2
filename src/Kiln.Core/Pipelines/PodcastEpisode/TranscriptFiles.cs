using System.Globalization;
using System.Text;
using System.Text.Json;
using Kiln.Core.Media.Speech;

namespace Kiln.Core.Pipelines.PodcastEpisode;

/// <summary>
/// The seam to the caption writers. The shared WebVTT/SRT/Podcasting 2.0 writers live with the speech engines in
/// <c>Media/Speech</c>; until they are on this branch, these minimal stand-ins write the same three formats.
/// Replace the bodies with calls to the shared writers on merge — nothing else in the pipeline changes.
/// </summary>
internal static class TranscriptFiles
{
    public static string WebVtt(Transcript t)
    {
        var sb = new StringBuilder("WEBVTT\n\n");
        foreach (var s in t.Segments.Where(s => s.Text.Length > 0))
            sb.Append(Time(s.Start, '.')).Append(" --> ").Append(Time(s.End, '.')).Append('\n')
              .Append(s.Speaker is null ? "" : $"<v {s.Speaker}>").Append(s.Text).Append("\n\n");
        return sb.ToString();
    }

    public static string Srt(Transcript t)
    {
        var sb = new StringBuilder();
        var n = 0;
        foreach (var s in t.Segments.Where(s => s.Text.Length > 0))
            sb.Append(++n).Append('\n').Append(Time(s.Start, ',')).Append(" --> ").Append(Time(s.End, ',')).Append('\n')
              .Append(s.Text).Append("\n\n");
        return sb.ToString();
    }

    /// <summary>Podcasting 2.0 JSON transcript (<c>application/json</c>, version 1.0.0): one entry per segment.</summary>
    public static string Podcasting20(Transcript t) => JsonSerializer.Serialize(new
    {
        version = "1.0.0",
        segments = t.Segments.Where(s => s.Text.Length > 0).Select(s => new { speaker = s.Speaker, startTime = Math.Round(s.Start, 3), endTime = Math.Round(s.End, 3), body = s.Text }),
    }, Json);

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    private static string Time(double seconds, char separator)
    {
        var ts = TimeSpan.FromMilliseconds(Math.Round(Math.Max(0, seconds) * 1000));
        return string.Create(CultureInfo.InvariantCulture, $"{(int)ts.TotalHours:00}:{ts.Minutes:00}:{ts.Seconds:00}{separator}{ts.Milliseconds:000}");
    }
}
