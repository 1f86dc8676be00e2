using System.Globalization;
using System.Text.RegularExpressions;
using Kiln.Core.Media.Speech;

namespace Kiln.Core.Pipelines.StudyNotes;

/// <summary>
/// The seam through which study notes read a caption file (SRT or WebVTT) as a <see cref="Transcript"/>. Until the shared
/// caption parser of Media/Speech lands this holds a minimal cue reader (times and text only); then it delegates there.
/// </summary>
public static partial class CaptionFile
{
    public static async Task<Transcript> ReadAsync(string path, string language, CancellationToken ct)
    {
        var text = (await File.ReadAllTextAsync(path, ct)).Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        var segments = new List<TranscriptSegment>();
        foreach (var block in text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var lines = block.Split('\n', StringSplitOptions.TrimEntries);
            var timing = Array.FindIndex(lines, l => l.Contains("-->", StringComparison.Ordinal));
            if (timing < 0) continue;
            var m = Timing().Match(lines[timing]);
            if (!m.Success) continue;
            var body = string.Join(' ', lines.Skip(timing + 1).Where(l => l.Length > 0)).Trim();
            body = Tags().Replace(body, "").Trim();
            if (body.Length == 0) continue;
            segments.Add(new TranscriptSegment(Seconds(m.Groups[1].Value), Seconds(m.Groups[2].Value), System.Net.WebUtility.HtmlDecode(body), []));
        }
        // Rolling captions repeat the previous line; keep each line once.
        var distinct = segments.Where((s, i) => i == 0 || !string.Equals(s.Text, segments[i - 1].Text, StringComparison.Ordinal)).ToList();
        return new Transcript(language, distinct.Count == 0 ? 0 : distinct[^1].End, distinct, "captions");
    }

    private static double Seconds(string stamp)
    {
        var parts = stamp.Replace(',', '.').Split(':');
        double total = 0;
        foreach (var p in parts) total = total * 60 + double.Parse(p, CultureInfo.InvariantCulture);
        return total;
    }

    [GeneratedRegex(@"((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s*-->\s*((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})")]
    private static partial Regex Timing();

    [GeneratedRegex(@"<[^>]{0,200}>")]
    private static partial Regex Tags();
}
