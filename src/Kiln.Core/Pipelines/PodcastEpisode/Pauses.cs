using System.Globalization;
using System.Text;

namespace Kiln.Core.Pipelines.PodcastEpisode;

/// <summary>A stretch of time in seconds.</summary>
public readonly record struct Span(double Start, double End)
{
    public double Length => End - Start;
}

/// <summary>
/// Levels and pauses read from 50 ms RMS windows. Every threshold sits relative to the measured noise floor: a fixed
/// −40 dB finds nothing in noisy speech and everything in a quiet studio. (ffmpeg's <c>silencedetect</c> compares
/// single samples, whose peaks stand ~12 dB above a noise floor's RMS, so it needs the same relative threshold and
/// misses pauses in noisy speech; the windows come free with the decode that measures the file anyway.)
/// </summary>
public sealed record AudioLevels(double NoiseFloorDb, double SpeechDb, double PauseThresholdDb)
{
    public const double MinPauseSeconds = 0.3;

    /// <summary>How far speech stands above the noise (dB).</summary>
    public double SignalToNoiseDb => SpeechDb - NoiseFloorDb;

    /// <summary>
    /// Noise floor = the 5th percentile window (digital silence left out: a clean recording's pauses say nothing about
    /// its hiss), speech = the 90th; a pause is quieter than the floor plus a quarter of the gap, and at least 6 dB above it.
    /// </summary>
    public static AudioLevels Measure(IReadOnlyList<float> windowDb)
    {
        var audible = windowDb.Where(d => d > -100).Order().ToArray();
        if (audible.Length == 0) return new AudioLevels(-120, -120, -100);
        var floor = audible[(int)(audible.Length * 0.05)];
        var speech = audible[Math.Min(audible.Length - 1, (int)(audible.Length * 0.9))];
        return new AudioLevels(floor, speech, Math.Max(floor + Math.Max(6, (speech - floor) * 0.25), speech - 15));
    }

    /// <summary>Runs of windows below the pause threshold lasting at least <see cref="MinPauseSeconds"/>.</summary>
    public IReadOnlyList<Span> FindPauses(IReadOnlyList<float> windowDb, double windowSeconds = PcmReader.WindowSeconds)
    {
        var pauses = new List<Span>();
        var start = -1;
        for (var i = 0; i <= windowDb.Count; i++)
        {
            var quiet = i < windowDb.Count && windowDb[i] < PauseThresholdDb;
            if (quiet && start < 0) start = i;
            else if (!quiet && start >= 0)
            {
                if ((i - start) * windowSeconds >= MinPauseSeconds - 1e-9)
                    pauses.Add(new Span(Math.Round(start * windowSeconds, 3), Math.Round(i * windowSeconds, 3)));
                start = -1;
            }
        }
        return pauses;
    }
}

/// <summary>Which stretches of long pauses to cut so that each pause keeps at most <c>threshold</c> seconds.</summary>
public static class SilenceCuts
{
    public const double LeadIn = 0.25;
    public const double TailOut = 0.5;

    /// <summary>Cuts the middle of each pause longer than <paramref name="threshold"/>, keeping half of it on each side;
    /// a leading pause keeps <see cref="LeadIn"/>, a trailing one <see cref="TailOut"/>.</summary>
    public static IReadOnlyList<Span> Plan(IReadOnlyList<Span> pauses, double threshold, double duration)
    {
        var cuts = new List<Span>();
        foreach (var p in pauses)
        {
            Span cut;
            if (p.Start <= 0.001) cut = new Span(0, p.End - LeadIn);
            else if (p.End >= duration - PcmReader.WindowSeconds) cut = new Span(p.Start + TailOut, Math.Max(duration, p.End));
            else if (p.Length > threshold) cut = new Span(p.Start + threshold / 2, p.End - threshold / 2);
            else continue;
            if (cut.Length >= 0.05) cuts.Add(new Span(Math.Round(cut.Start, 3), Math.Round(cut.End, 3)));
        }
        return cuts;
    }

    /// <summary>
    /// An <c>aselect</c> expression true outside the cuts. A balanced tree of <c>if(lt(t,…))</c> keeps it to ~log2(n)
    /// comparisons per frame: a flat sum of 500 <c>between()</c> terms cost more than the denoiser on an hour of audio.
    /// </summary>
    public static string KeepExpression(IReadOnlyList<Span> cuts) => cuts.Count == 0 ? "1" : $"not({Tree(cuts, 0, cuts.Count)})";

    private static string Tree(IReadOnlyList<Span> cuts, int from, int to)
    {
        if (to - from == 1) return string.Create(CultureInfo.InvariantCulture, $"between(t,{cuts[from].Start:0.###},{cuts[from].End:0.###})");
        var mid = (from + to) / 2;
        return string.Create(CultureInfo.InvariantCulture, $"if(lt(t,{cuts[mid].Start:0.###}),{Tree(cuts, from, mid)},{Tree(cuts, mid, to)})");
    }

    public static double Removed(IReadOnlyList<Span> cuts) => cuts.Sum(c => c.Length);

    internal static string Describe(IReadOnlyList<Span> cuts)
    {
        var sb = new StringBuilder();
        foreach (var c in cuts.Take(12)) sb.Append(CultureInfo.InvariantCulture, $" {c.Start:0.0}–{c.End:0.0}s");
        if (cuts.Count > 12) sb.Append(CultureInfo.InvariantCulture, $" … ({cuts.Count - 12} more)");
        return sb.ToString();
    }
}
