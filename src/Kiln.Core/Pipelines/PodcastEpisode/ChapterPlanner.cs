namespace Kiln.Core.Pipelines.PodcastEpisode;

/// <summary>A chapter of the episode: where it starts (seconds, on a pause) and its title.</summary>
public sealed record EpisodeChapter(double Start, string Title);

/// <summary>
/// Where chapters start: about one every five minutes (at least two in an episode of 20 seconds or more), each start
/// placed inside a detected pause of the processed audio — the longest pause near the even split wins — so a listener
/// who jumps to a chapter never lands mid-word.
/// </summary>
public static class ChapterPlanner
{
    public const double SecondsPerChapter = 300;
    public const int MaxChapters = 30;
    public const double MinEpisodeSeconds = 20;
    // How far before the end of the pause a chapter starts: a breath of silence, then the first word.
    private const double LeadIn = 0.2;

    public static IReadOnlyList<double> Starts(double duration, IReadOnlyList<Span> pauses)
    {
        var starts = new List<double> { 0 };
        if (duration < MinEpisodeSeconds) return starts;
        var k = (int)Math.Clamp(Math.Round(duration / SecondsPerChapter), 2, MaxChapters);
        var half = duration / (2 * k);
        // Pauses at the very start or end open or close the episode; they do not divide it.
        var inner = pauses.Where(p => p.Start > 1 && p.End < duration - 1).ToList();
        for (var i = 1; i < k; i++)
        {
            var ideal = i * duration / k;
            var best = inner
                .Select(p => (Pause: p, Mid: (p.Start + p.End) / 2))
                .Where(x => Math.Abs(x.Mid - ideal) <= half && StartOf(x.Pause) - starts[^1] >= half && duration - StartOf(x.Pause) >= half)
                .Select(x => (x.Pause, Score: x.Pause.Length * (1 - 0.5 * Math.Abs(x.Mid - ideal) / half)))
                .OrderByDescending(x => x.Score)
                .FirstOrDefault();
            if (best.Pause.Length > 0) starts.Add(StartOf(best.Pause));
        }
        return starts;
    }

    /// <summary>A point inside the pause, <see cref="LeadIn"/> before its end (or its middle, for a short one).</summary>
    public static double StartOf(Span pause) => Math.Round(pause.End - Math.Min(LeadIn, pause.Length / 2), 3);
}
