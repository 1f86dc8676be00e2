using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Kiln.Core.Media.Speech;

/// <summary>A subtitle file that is not valid SRT or WebVTT; <see cref="Line"/> is 1-based (0 when it concerns the whole file).</summary>
public sealed class CaptionFormatException(string format, int line, string problem)
    : FormatException(line > 0 ? $"This {format} file is not valid: line {line}: {problem}" : $"This {format} file is not valid: {problem}")
{
    public string Format { get; } = format;
    public int Line { get; } = line;
    public string Problem { get; } = problem;
}

/// <summary>
/// Strict readers for SRT and WebVTT subtitle files (inputs to study notes and dubbing). They accept what real files
/// contain (a BOM, CRLF, SRT's '.' decimal, WebVTT's NOTE/STYLE/REGION blocks, cue settings, markup) and reject what
/// would silently lose text or time: a missing or malformed timing line, an end before its start, a cue without text.
/// </summary>
public static partial class CaptionParser
{
    /// <summary>Parses WebVTT when the text starts with "WEBVTT", else SRT.</summary>
    public static Transcript Parse(string text, string language = "und") =>
        StripBom(text).StartsWith("WEBVTT", StringComparison.Ordinal) ? ParseWebVtt(text, language) : ParseSrt(text, language);

    public static Transcript ParseSrt(string text, string language = "und")
    {
        const string format = "SRT";
        var lines = Lines(text);
        var cues = new List<TranscriptSegment>();
        var i = 0;
        while (true)
        {
            while (i < lines.Length && lines[i].Trim().Length == 0) i++;
            if (i >= lines.Length) break;
            var number = lines[i].Trim();
            if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                throw new CaptionFormatException(format, i + 1, number.Contains("-->", StringComparison.Ordinal)
                    ? "a cue number is missing before this timing line."
                    : $"expected a cue number, found \"{Clip(number)}\".");
            i++;
            if (i >= lines.Length || lines[i].Trim().Length == 0) throw new CaptionFormatException(format, i, "a cue number is not followed by its timing line.");
            var timing = SrtTiming().Match(lines[i].Trim());
            if (!timing.Success)
                throw new CaptionFormatException(format, i + 1, $"expected a timing line like \"00:00:01,000 --> 00:00:02,500\", found \"{Clip(lines[i].Trim())}\".");
            var (start, end) = (SrtTime(timing.Groups[1]), SrtTime(timing.Groups[2]));
            var timingLine = i + 1;
            i++;
            var body = new List<string>();
            while (i < lines.Length && lines[i].Trim().Length > 0) body.Add(lines[i++].Trim());
            cues.Add(Segment(format, timingLine, start, end, body, speaker: null));
        }
        return Result(format, cues, language);
    }

    public static Transcript ParseWebVtt(string text, string language = "und")
    {
        const string format = "WebVTT";
        var lines = Lines(text);
        if (lines.Length == 0 || !VttSignature().IsMatch(lines[0]))
            throw new CaptionFormatException(format, 1, "the first line must be \"WEBVTT\".");
        var i = 1;
        // The header runs to the first blank line.
        while (i < lines.Length && lines[i].Trim().Length > 0)
        {
            if (lines[i].Contains("-->", StringComparison.Ordinal))
                throw new CaptionFormatException(format, i + 1, "a blank line must separate the WEBVTT line from the first cue.");
            i++;
        }
        var cues = new List<TranscriptSegment>();
        while (true)
        {
            while (i < lines.Length && lines[i].Trim().Length == 0) i++;
            if (i >= lines.Length) break;
            var first = lines[i];
            if (BlockKeyword().IsMatch(first) && !first.Contains("-->", StringComparison.Ordinal))
            {
                while (i < lines.Length && lines[i].Trim().Length > 0) i++;
                continue;
            }
            // An optional cue identifier, then the timing line.
            if (!first.Contains("-->", StringComparison.Ordinal))
            {
                i++;
                if (i >= lines.Length || lines[i].Trim().Length == 0)
                    throw new CaptionFormatException(format, i, $"expected a timing line like \"00:00:01.000 --> 00:00:02.500\" after \"{Clip(first.Trim())}\".");
            }
            var timing = VttTiming().Match(lines[i].Trim());
            if (!timing.Success)
                throw new CaptionFormatException(format, i + 1, $"expected a timing line like \"00:00:01.000 --> 00:00:02.500\", found \"{Clip(lines[i].Trim())}\".");
            var (start, end) = (VttTime(timing.Groups[1]), VttTime(timing.Groups[2]));
            var timingLine = i + 1;
            i++;
            var body = new List<string>();
            while (i < lines.Length && lines[i].Trim().Length > 0)
            {
                if (lines[i].Contains("-->", StringComparison.Ordinal))
                    throw new CaptionFormatException(format, i + 1, "a timing line inside a cue's text: put a blank line between cues.");
                body.Add(lines[i++].Trim());
            }
            var speaker = body.Select(l => Voice().Match(l)).FirstOrDefault(m => m.Success)?.Groups[1].Value.Trim();
            cues.Add(Segment(format, timingLine, start, end, body, string.IsNullOrEmpty(speaker) ? null : speaker));
        }
        return Result(format, cues, language);
    }

    private static TranscriptSegment Segment(string format, int line, double start, double end, List<string> body, string? speaker)
    {
        if (end < start) throw new CaptionFormatException(format, line, "the cue ends before it starts.");
        var text = string.Join(' ', body.Select(CleanMarkup).Where(t => t.Length > 0));
        if (text.Length == 0) throw new CaptionFormatException(format, line, "the cue has no text.");
        return new TranscriptSegment(start, end, text, [], speaker);
    }

    private static Transcript Result(string format, List<TranscriptSegment> cues, string language)
    {
        if (cues.Count == 0) throw new CaptionFormatException(format, 0, "it holds no cues.");
        // Files in the wild are not always in time order; a stable sort keeps simultaneous cues in file order.
        var ordered = cues.OrderBy(c => c.Start).ToList();
        return new Transcript(language, ordered.Max(c => c.End), ordered, format == "SRT" ? "srt" : "webvtt");
    }

    /// <summary>Drops tags (&lt;i&gt;, &lt;v Name&gt;, &lt;c.x&gt;, inline timestamps), SSA overrides ({\an8}) and entities.</summary>
    private static string CleanMarkup(string line)
    {
        var text = Tag().Replace(line, "");
        text = SsaOverride().Replace(text, "");
        text = WebUtility.HtmlDecode(text).Replace('\u00A0', ' ');
        return Spaces().Replace(text, " ").Trim();
    }

    private static string[] Lines(string text) => StripBom(text).Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Split('\n');

    private static string StripBom(string text) => text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text;

    private static string Clip(string s) => s.Length <= 60 ? s : s[..57] + "...";

    private static double SrtTime(Group g) => Seconds(g.Value.Replace(',', '.'));

    private static double VttTime(Group g) => Seconds(g.Value);

    private static double Seconds(string hms)
    {
        var parts = hms.Split(':');
        var seconds = double.Parse(parts[^1], CultureInfo.InvariantCulture);
        var minutes = int.Parse(parts[^2], CultureInfo.InvariantCulture);
        var hours = parts.Length == 3 ? int.Parse(parts[0], CultureInfo.InvariantCulture) : 0;
        return hours * 3600 + minutes * 60 + seconds;
    }

    // SRT: HH:MM:SS,mmm (some tools write '.'); coordinates after the end time are allowed and ignored.
    [GeneratedRegex(@"^(\d{1,3}:[0-5]\d:[0-5]\d[,.]\d{3})\s*-->\s*(\d{1,3}:[0-5]\d:[0-5]\d[,.]\d{3})(?:\s+.*)?$")]
    private static partial Regex SrtTiming();

    // WebVTT: [HH:]MM:SS.mmm, then optional cue settings.
    [GeneratedRegex(@"^((?:\d{2,}:)?[0-5]\d:[0-5]\d\.\d{3})\s+-->\s+((?:\d{2,}:)?[0-5]\d:[0-5]\d\.\d{3})(?:\s+.*)?$")]
    private static partial Regex VttTiming();

    [GeneratedRegex(@"^\uFEFF?WEBVTT(?:[ \t].*)?$")]
    private static partial Regex VttSignature();

    [GeneratedRegex(@"^(NOTE|STYLE|REGION)(?:[ \t]|$)")]
    private static partial Regex BlockKeyword();

    [GeneratedRegex(@"<v(?:\.[^ >]*)?\s+([^>]+)>")]
    private static partial Regex Voice();

    [GeneratedRegex(@"<[^>]*>")]
    private static partial Regex Tag();

    [GeneratedRegex(@"\{\\[^}]*\}")]
    private static partial Regex SsaOverride();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
