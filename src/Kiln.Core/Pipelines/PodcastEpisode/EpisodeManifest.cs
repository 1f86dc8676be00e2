using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Kiln.Core.Media;
using Kiln.Core.Media.Speech;

namespace Kiln.Core.Pipelines.PodcastEpisode;

/// <summary>
/// <c>episode.json</c>: what the episode is and what was done to it, for the shows and feeds that publish it
/// (duration, measured loudness, notes, chapters, which steps ran). The schema is documented in docs/podcast.md.
/// </summary>
public sealed record EpisodeManifest(
    int Version,
    string Title,
    string? ShowTitle,
    string? Artist,
    double DurationSeconds,
    double InputDurationSeconds,
    ManifestLoudness Loudness,
    ManifestProcessing Processing,
    string Summary,
    IReadOnlyList<string> KeyPoints,
    IReadOnlyList<string> Links,
    IReadOnlyList<string> Guests,
    IReadOnlyList<ManifestChapter> Chapters,
    ManifestTranscript? Transcript,
    IReadOnlyDictionary<string, string> Steps,
    IReadOnlyDictionary<string, double> StepSeconds)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    internal static EpisodeManifest Create(string title, PodcastEpisodeOptions options, LoudnessTarget target, AudioState state, Transcript? transcript,
        EpisodeNotes notes, IReadOnlyList<EpisodeChapter> chapters, IReadOnlyDictionary<string, string> steps, IReadOnlyDictionary<string, double> timings)
    {
        var p = state.Processed;
        var e = state.Encoded;
        var allSteps = new Dictionary<string, string>(steps)
        {
            ["denoise"] = Ran(options.Denoise, p.Denoised),
            ["trimSilence"] = Ran(options.TrimSilence, p.Trimmed),
            ["level"] = Ran(options.Level, p.Levelled),
            ["loudness"] = "done",
            ["aac"] = options.Aac ? "done" : "off",
        };
        return new EpisodeManifest(1, title, options.ShowTitle, options.Artist, e.DurationSeconds, Math.Round(p.InputSeconds, 3),
            new ManifestLoudness(target.IntegratedLufs, target.TruePeakDbtp, e.IntegratedLufs, e.TruePeakDbtp),
            new ManifestProcessing(Math.Round(p.Input.NoiseFloorDb, 1), Math.Round(p.Input.SpeechDb, 1), p.Cuts.Count, Math.Round(p.RemovedSeconds, 2),
                options.SilenceThresholdSeconds, e.GainDb, e.Encodes),
            notes.Summary, notes.KeyPoints, notes.Links, notes.Guests,
            chapters.Select(c => new ManifestChapter(c.Start, c.Title)).ToList(),
            transcript is null ? null : new ManifestTranscript(transcript.Engine, transcript.Language, transcript.Segments.Count,
                transcript.Segments.Sum(s => s.Words.Count > 0 ? s.Words.Count : s.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length)),
            allSteps, timings);
    }

    private static string Ran(bool wanted, bool ran) => !wanted ? "off" : ran ? "done" : "skipped";

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>The show notes draft: summary, key points, chapters, guests and links, as Markdown to edit.</summary>
    public string ToMarkdown()
    {
        var sb = new StringBuilder().Append("# ").Append(Title).Append("\n\n");
        if (Summary.Length > 0) sb.Append(Summary).Append("\n\n");
        if (KeyPoints.Count > 0)
        {
            sb.Append("## Key points\n\n");
            foreach (var k in KeyPoints) sb.Append("- ").Append(k).Append('\n');
            sb.Append('\n');
        }
        if (Chapters.Count > 0)
        {
            sb.Append("## Chapters\n\n");
            foreach (var c in Chapters) sb.Append("- ").Append(Clock(c.StartTime)).Append(' ').Append(c.Title).Append('\n');
            sb.Append('\n');
        }
        if (Guests.Count > 0)
        {
            sb.Append("## Guests\n\n");
            foreach (var g in Guests) sb.Append("- ").Append(g).Append('\n');
            sb.Append('\n');
        }
        if (Links.Count > 0)
        {
            sb.Append("## Links\n\n");
            foreach (var l in Links) sb.Append("- <").Append(l).Append(">\n");
            sb.Append('\n');
        }
        if (Summary.Length == 0 && KeyPoints.Count == 0)
            sb.Append("_No show notes were drafted (the transcript or show notes step was off, or no speech was found)._\n");
        return sb.ToString().TrimEnd() + "\n";
    }

    internal static string Clock(double seconds)
    {
        var t = TimeSpan.FromSeconds(Math.Floor(seconds));
        return t.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{t.Minutes:00}:{t.Seconds:00}");
    }
}

public sealed record ManifestLoudness(double TargetLufs, double TruePeakCeilingDbtp, double IntegratedLufs, double TruePeakDbtp);

/// <param name="NoiseFloorDb">The input's noise floor (50 ms RMS, 5th percentile), dBFS.</param>
/// <param name="SpeechLevelDb">The input's speech level (50 ms RMS, 90th percentile), dBFS.</param>
/// <param name="Encodes">How many times the MP3 was encoded (a second encode corrects a result off target).</param>
public sealed record ManifestProcessing(double NoiseFloorDb, double SpeechLevelDb, int PausesShortened, double SilenceRemovedSeconds, double SilenceThresholdSeconds, double GainDb, int Encodes);

public sealed record ManifestChapter(double StartTime, string Title);

public sealed record ManifestTranscript(string Engine, string Language, int Segments, int Words);
