using System.Diagnostics;
using System.Globalization;
using Kiln.Core.Common;
using Kiln.Core.Pipelines;

namespace Kiln.IntegrationTests.Podcasts;

public sealed record TestPodcastEpisodeOptions
{
    public string Title { get; init; } = "Episode";
    public string? ShowTitle { get; init; }
    public string? Artist { get; init; }
}

/// <summary>
/// Stands in for the real <c>podcast-episode</c> pipeline (another branch) with its artifact contract: a real MP3
/// encoded by ffmpeg from the input, peaks, a transcript in three formats, JSON chapters, show notes and the manifest.
/// An input named "fail…" fails the job, so the failure path can be tested.
/// </summary>
public sealed class TestPodcastEpisodePipeline : Pipeline<TestPodcastEpisodeOptions>
{
    public const string Notes = "## In this episode\n\n- Why kilns crack\n- <script>alert(1)</script> stays text\n";

    /// <summary>Beside the real <c>podcast-episode</c> pipeline; tests point <c>Kiln:Podcasts:PipelineId</c> here.</summary>
    public const string PipelineId = "test-podcast-episode";
    public override string Id => PipelineId;
    public override string Name => "Podcast episode (test)";
    public override string Version => "1";
    public override string Description => "Encodes the input to MP3 and writes fixed transcript, chapters and notes.";
    public override IReadOnlyList<InputSlot> Slots { get; } = [new("audio", "Audio", ["audio", "video"]), new("artwork", "Artwork", ["image"], Required: false)];
    public override IReadOnlyList<string> Produces => ["episode.mp3", "peaks.json", "transcript.vtt", "transcript.srt", "transcript.json", "chapters.json", "shownotes.md", "episode.json"];
    public override int DefaultTimeoutSeconds => 60;
    public override PriceList DefaultPricing { get; } = new(new Dictionary<string, decimal>(), PerJob: 2);

    public override Result<PipelineQuote> Plan(TestPodcastEpisodeOptions options, InputSet<InputFacts> inputs) => Quote(options);

    public override async Task<PipelineOutcome> Run(PipelineContext context, TestPodcastEpisodeOptions options, CancellationToken ct)
    {
        var input = context.Inputs["audio"];
        if (input.FileName.StartsWith("fail", StringComparison.Ordinal)) throw new PipelineException("audio_unusable", "The audio could not be processed (test).");
        var dir = context.ScratchDirectory;
        var mp3 = Path.Combine(dir, "episode.mp3");
        await Ffmpeg(ct, "-v", "error", "-y", "-i", input.Path, "-ac", "1", "-ar", "44100", "-b:a", "64k", "-metadata", $"title={options.Title}", mp3);
        var duration = input.Facts.Media?.DurationSeconds ?? 1;
        var d = duration.ToString("0.000", CultureInfo.InvariantCulture);
        var half = (duration / 2).ToString("0.000", CultureInfo.InvariantCulture);
        await Write(context, "peaks.json", "application/json", "{\"version\":2,\"channels\":1,\"sample_rate\":44100,\"samples_per_pixel\":441,\"bits\":8,\"length\":4,\"data\":[-10,10,-80,80,-40,40,-5,5]}", ct);
        await Write(context, "transcript.vtt", "text/vtt", $"WEBVTT\n\n00:00:00.000 --> {Stamp(duration / 2)}\nKilns fire clay.\n\n{Stamp(duration / 2)} --> {Stamp(duration)}\nThen they cool slowly.\n", ct);
        await Write(context, "transcript.srt", "application/x-subrip", "1\n00:00:00,000 --> 00:00:01,000\nKilns fire clay.\n", ct);
        await Write(context, "transcript.json", "application/json", "{\"version\":\"1.0.0\",\"segments\":[]}", ct);
        await Write(context, "chapters.json", "application/json+chapters", $"{{\"version\":\"1.2.0\",\"chapters\":[{{\"startTime\":0,\"title\":\"Firing\"}},{{\"startTime\":{half},\"title\":\"Cooling\"}}]}}", ct);
        await Write(context, "shownotes.md", "text/markdown", Notes, ct);
        await Write(context, "episode.json", "application/json", $"{{\"durationSeconds\":{d},\"summary\":\"Kilns.\"}}", ct);
        await context.Artifacts.AddAsync("episode.mp3", "audio/mpeg", mp3, ct);
        await context.Progress.DoneAsync(ct);
        return new PipelineOutcome();
    }

    private static string Stamp(double s) => TimeSpan.FromSeconds(s).ToString(@"hh\:mm\:ss\.fff", CultureInfo.InvariantCulture);

    private static async Task Write(PipelineContext context, string name, string type, string text, CancellationToken ct)
    {
        var path = Path.Combine(context.ScratchDirectory, name);
        await File.WriteAllTextAsync(path, text, ct);
        await context.Artifacts.AddAsync(name, type, path, ct);
    }

    private static async Task Ffmpeg(CancellationToken ct, params string[] args)
    {
        var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = await p.StandardError.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        if (p.ExitCode != 0) throw new PipelineException("ffmpeg_failed", "ffmpeg failed: " + err);
    }
}
