using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Kiln.Core.Media.Speech;

/// <summary>One caption on screen: <see cref="Text"/> holds its lines separated by '\n'.</summary>
public sealed record CaptionCue(double Start, double End, string Text, string? Speaker = null);

/// <summary>Readability limits for cues (common broadcast/streaming guidance: two lines of about 42 characters, a few seconds each).</summary>
public sealed record CueLimits(int MaxLines = 2, int MaxCharsPerLine = 42, double MaxSeconds = 7)
{
    public static readonly CueLimits Default = new();
}

/// <summary>
/// Writes transcripts as captions: WebVTT, SRT and the Podcasting 2.0 JSON transcript
/// (<c>{"version":"1.0.0","segments":[{"speaker","startTime","endTime","body"}]}</c>). Segments are cut into readable cues
/// at word timings; segments without word timings are cut at words with times shared out by length.
/// </summary>
public static class Captions
{
    /// <summary>Cues for a transcript within <paramref name="limits"/>; a cue never spans two segments (or speakers).</summary>
    public static IReadOnlyList<CaptionCue> Cues(Transcript transcript, CueLimits? limits = null)
    {
        limits ??= CueLimits.Default;
        var cues = new List<CaptionCue>();
        foreach (var segment in transcript.Segments)
        {
            var words = segment.Words.Count > 0 ? segment.Words : EstimateWords(segment);
            var current = new List<TranscriptWord>();
            foreach (var word in words)
            {
                if (current.Count > 0)
                {
                    var tooLong = word.End - current[0].Start > limits.MaxSeconds;
                    var tooWide = Layout(current.Append(word).Select(w => w.Text).ToList(), limits.MaxCharsPerLine).Count > limits.MaxLines;
                    // A sentence end is a good place to cut once the cue holds a readable amount.
                    var sentenceDone = EndsSentence(current[^1].Text) && current[^1].End - current[0].Start >= 1.5;
                    if (tooLong || tooWide || sentenceDone)
                    {
                        cues.Add(Cue(current, limits, segment.Speaker));
                        current = [];
                    }
                }
                current.Add(word);
            }
            if (current.Count > 0) cues.Add(Cue(current, limits, segment.Speaker));
        }
        return cues;
    }

    public static string ToWebVtt(Transcript transcript, CueLimits? limits = null) => ToWebVtt(Cues(transcript, limits));

    public static string ToWebVtt(IReadOnlyList<CaptionCue> cues)
    {
        var sb = new StringBuilder("WEBVTT\n");
        foreach (var cue in cues)
        {
            sb.Append('\n').Append(Time(cue.Start, '.')).Append(" --> ").Append(Time(cue.End, '.')).Append('\n');
            var text = VttEscape(cue.Text);
            // A voice span names the speaker; players show it or use it for styling.
            sb.Append(cue.Speaker is null ? text : $"<v {VttEscape(cue.Speaker)}>{text}").Append('\n');
        }
        return sb.ToString();
    }

    public static string ToSrt(Transcript transcript, CueLimits? limits = null) => ToSrt(Cues(transcript, limits));

    public static string ToSrt(IReadOnlyList<CaptionCue> cues)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < cues.Count; i++)
        {
            if (i > 0) sb.Append('\n');
            sb.Append(i + 1).Append('\n').Append(Time(cues[i].Start, ',')).Append(" --> ").Append(Time(cues[i].End, ',')).Append('\n');
            sb.Append(cues[i].Speaker is null ? cues[i].Text : $"{cues[i].Speaker}: {cues[i].Text}").Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>The Podcasting 2.0 JSON transcript (podcast-namespace transcripts.md), one segment per cue, times in seconds.</summary>
    public static string ToPodcastJson(Transcript transcript, CueLimits? limits = null) => ToPodcastJson(Cues(transcript, limits));

    public static string ToPodcastJson(IReadOnlyList<CaptionCue> cues)
    {
        var doc = new
        {
            version = "1.0.0",
            segments = cues.Select(c => new PodcastSegment(c.Speaker, Math.Round(c.Start, 3), Math.Round(c.End, 3), c.Text.Replace('\n', ' '))).ToList(),
        };
        return JsonSerializer.Serialize(doc, JsonOptions);
    }

    private sealed record PodcastSegment(string? Speaker, double StartTime, double EndTime, string Body);

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = true,
    };

    /// <summary>Lines for words within <paramref name="maxChars"/>; for two lines the break that balances them best.</summary>
    internal static IReadOnlyList<string> Layout(IReadOnlyList<string> words, int maxChars)
    {
        var total = string.Join(' ', words);
        if (total.Length <= maxChars) return [total];
        // Try two balanced lines first: subtitles read better with similar line lengths.
        string[]? best = null;
        for (var i = 1; i < words.Count; i++)
        {
            var a = string.Join(' ', words.Take(i));
            var b = string.Join(' ', words.Skip(i));
            if (a.Length > maxChars || b.Length > maxChars) continue;
            if (best is null || Math.Max(a.Length, b.Length) < Math.Max(best[0].Length, best[1].Length)) best = [a, b];
        }
        if (best is not null) return best;
        // Greedy fill otherwise (more than two lines, or a single word wider than a line).
        var lines = new List<string>();
        var line = new StringBuilder();
        foreach (var w in words)
        {
            if (line.Length > 0 && line.Length + 1 + w.Length > maxChars) { lines.Add(line.ToString()); line.Clear(); }
            if (line.Length > 0) line.Append(' ');
            line.Append(w);
        }
        if (line.Length > 0) lines.Add(line.ToString());
        return lines;
    }

    private static CaptionCue Cue(List<TranscriptWord> words, CueLimits limits, string? speaker) =>
        new(words[0].Start, Math.Max(words[^1].End, words[0].Start), string.Join('\n', Layout(words.Select(w => w.Text).ToList(), limits.MaxCharsPerLine)), speaker);

    private static bool EndsSentence(string word) => word.Length > 0 && word[^1] is '.' or '?' or '!' or '…';

    /// <summary>Words for a segment without timings: its span shared out in proportion to each word's length.</summary>
    private static List<TranscriptWord> EstimateWords(TranscriptSegment segment)
    {
        var texts = segment.Text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var weights = texts.Select(t => t.Length + 1.0).ToArray();
        var total = weights.Sum();
        var span = Math.Max(0, segment.End - segment.Start);
        var words = new List<TranscriptWord>(texts.Length);
        var at = segment.Start;
        for (var i = 0; i < texts.Length; i++)
        {
            var end = i == texts.Length - 1 ? segment.End : at + span * weights[i] / total;
            words.Add(new TranscriptWord(at, end, texts[i]));
            at = end;
        }
        return words;
    }

    /// <summary>HH:MM:SS.mmm (WebVTT) or HH:MM:SS,mmm (SRT).</summary>
    internal static string Time(double seconds, char separator)
    {
        var ms = (long)Math.Round(Math.Max(0, seconds) * 1000, MidpointRounding.AwayFromZero);
        return string.Create(CultureInfo.InvariantCulture, $"{ms / 3_600_000:00}:{ms / 60_000 % 60:00}:{ms / 1000 % 60:00}{separator}{ms % 1000:000}");
    }

    private static string VttEscape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal)
        .Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
