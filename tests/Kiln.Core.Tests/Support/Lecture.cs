using System.Globalization;
using System.Text;

namespace Kiln.Core.Tests.Support;

/// <summary>
/// A short lecture on photosynthesis in three sections with known terms, as timed captions (SRT/WebVTT with a long pause
/// between sections) or as plain text for a speech synthesizer. Tests check the notes against <see cref="Sections"/>.
/// </summary>
public static class Lecture
{
    public static readonly string[][] Sections =
    [
        [
            "Photosynthesis is the process by which plants turn light energy into chemical energy.",
            "It happens inside the chloroplast, a small green structure in the leaf cell.",
            "Chlorophyll is the green pigment that absorbs light in the chloroplast.",
            "Without chlorophyll the plant could not capture the energy of sunlight.",
        ],
        [
            "The light reactions take place in the thylakoid membrane of the chloroplast.",
            "In the light reactions, water is split and oxygen is released into the air.",
            "The light reactions also make ATP, the energy currency of the cell.",
            "Oxygen from the light reactions is what animals breathe.",
        ],
        [
            "The Calvin cycle is the second stage of photosynthesis.",
            "In the Calvin cycle, carbon dioxide from the air is fixed into sugar.",
            "The enzyme rubisco captures carbon dioxide at the start of the Calvin cycle.",
            "The sugar from the Calvin cycle feeds the whole plant.",
        ],
    ];

    public const double SentenceGap = 0.4;
    public const double SectionGap = 2.5;

    /// <summary>Start and end of each section in the captions' time line.</summary>
    public static IReadOnlyList<(double Start, double End)> SectionTimes()
    {
        var times = new List<(double, double)>();
        var t = 0.5;
        foreach (var section in Sections)
        {
            var start = t;
            foreach (var s in section) t += Duration(s) + SentenceGap;
            times.Add((start, t - SentenceGap));
            t += SectionGap - SentenceGap;
        }
        return times;
    }

    public static string Srt() => Captions(vtt: false);

    public static string Vtt() => Captions(vtt: true);

    public static string Text() => string.Join("\n\n", Sections.Select(s => string.Join(' ', s)));

    private static string Captions(bool vtt)
    {
        var sb = new StringBuilder(vtt ? "WEBVTT\n\n" : "");
        var t = 0.5;
        var n = 1;
        foreach (var section in Sections)
        {
            foreach (var s in section)
            {
                var end = t + Duration(s);
                sb.Append(n++).Append('\n').Append(Stamp(t, vtt)).Append(" --> ").Append(Stamp(end, vtt)).Append('\n').Append(s).Append("\n\n");
                t = end + SentenceGap;
            }
            t += SectionGap - SentenceGap;
        }
        return sb.ToString();
    }

    private static double Duration(string sentence) => Math.Round(sentence.Split(' ').Length / 2.6, 2);

    private static string Stamp(double seconds, bool vtt)
    {
        var ts = TimeSpan.FromSeconds(seconds);
        return ts.ToString(vtt ? @"hh\:mm\:ss\.fff" : @"hh\:mm\:ss\,fff", CultureInfo.InvariantCulture);
    }
}
