using System.Globalization;
using System.Text;

namespace Kiln.Core.Pipelines.Dubbing;

/// <summary>A timed line of captions.</summary>
public sealed record Cue(double Start, double End, string Text);

/// <summary>SubRip and WebVTT writers for the dub's captions (source and target languages).</summary>
public static class Captions
{
    public static string Srt(IReadOnlyList<Cue> cues)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < cues.Count; i++)
        {
            sb.Append(i + 1).Append('\n')
              .Append(Time(cues[i].Start, ',')).Append(" --> ").Append(Time(cues[i].End, ',')).Append('\n')
              .Append(Clean(cues[i].Text)).Append("\n\n");
        }
        return sb.ToString();
    }

    public static string Vtt(IReadOnlyList<Cue> cues, string language)
    {
        var sb = new StringBuilder("WEBVTT\nLanguage: ").Append(language).Append("\n\n");
        foreach (var c in cues)
            sb.Append(Time(c.Start, '.')).Append(" --> ").Append(Time(c.End, '.')).Append('\n').Append(Clean(c.Text)).Append("\n\n");
        return sb.ToString();
    }

    // A blank line ends a cue and "-->" starts a timing line: neither may appear in the text.
    private static string Clean(string text) =>
        string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Replace("-->", "->", StringComparison.Ordinal);

    private static string Time(double seconds, char decimalSeparator)
    {
        var ms = (long)Math.Round(Math.Max(0, seconds) * 1000);
        return string.Create(CultureInfo.InvariantCulture, $"{ms / 3_600_000:00}:{ms / 60_000 % 60:00}:{ms / 1000 % 60:00}{decimalSeparator}{ms % 1000:000}");
    }
}
