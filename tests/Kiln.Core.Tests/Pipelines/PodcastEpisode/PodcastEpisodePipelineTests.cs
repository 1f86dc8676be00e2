using System.Globalization;
using System.Text.Json;
using Kiln.Core.Media;
using Kiln.Core.Pipelines;
using Kiln.Core.Pipelines.PodcastEpisode;
using Kiln.Core.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Core.Tests.Pipelines.PodcastEpisode;

public sealed class PodcastEpisodePipelineTests : IDisposable
{
    private readonly ServiceProvider _services = Services.Build();
    private readonly TempDir _dir = new();
    private IPipeline Pipeline => _services.GetRequiredService<PipelineCatalog>().Find(PodcastEpisodePipeline.PipelineId)!;

    public void Dispose()
    {
        _services.Dispose();
        _dir.Dispose();
    }

    internal static PipelineInput AudioInput(string path, double seconds, int channels = 1) => new("audio", path, AudioFacts(Path.GetFileName(path), seconds, channels));

    internal static InputFacts AudioFacts(string name, double seconds, int channels = 1) =>
        InputFacts.From("audio", "audio", name, 1000,
            $$"""{"durationSeconds":{{seconds.ToString(CultureInfo.InvariantCulture)}},"streams":[{"type":"audio","channels":{{channels}},"sampleRate":44100}]}""");

    [Fact]
    public async Task Cleans_a_noisy_episode_to_target_loudness_with_short_pauses_a_transcript_and_chapters_on_pauses()
    {
        var ct = TestContext.Current.CancellationToken;
        var input = TestPodcastAudio.Episode();
        var inputSeconds = await new AudioTools(new ProcessRunner()).GetDurationSecondsAsync(input, ct);
        var artwork = TestPodcastAudio.Artwork(_dir.File("cover.png"));
        var sink = new CopyingArtifactSink(_dir.File("out"));
        var reporter = new RecordingReporter();
        var options = """{"title":"Weather stations","showTitle":"The Workshop","artist":"Ada Host","aac":true}""";
        var context = PipelineTesting.Context(Pipeline, _services, options, _dir.File("scratch"), reporter, sink,
            AudioInput(input, inputSeconds), new PipelineInput("artwork", artwork, InputFacts.From("artwork", "image", "cover.png", 1000, "{}")));

        await PipelineHost.RunAsync(Pipeline, context, ct);

        sink.Added.Select(a => a.Name).Order().ShouldBe(
            ["chapters.json", "episode.json", "episode.m4a", "episode.mp3", "peaks.json", "shownotes.md", "transcript.json", "transcript.srt", "transcript.vtt"]);
        var mp3 = _dir.File("out/episode.mp3");

        // Loudness, measured independently of the pipeline's own check.
        var loudness = await new AudioTools(new ProcessRunner()).MeasureLoudnessAsync(mp3, ct);
        loudness.IntegratedLufs.ShouldBeInRange(-16.5, -15.5);
        loudness.TruePeakDbtp.ShouldBeLessThanOrEqualTo(-1);

        // Long pauses shortened: the output is shorter by most of the 3 + 4 s pauses, and no pause is longer than the
        // threshold (1 s) plus a margin for the quiet edges of words.
        var windows = await QuietWindows(mp3, ct);
        var outputSeconds = windows.Count * 0.05;
        outputSeconds.ShouldBeLessThan(inputSeconds - 4);
        var pauses = Runs(windows);
        pauses.ShouldNotBeEmpty();
        pauses.Max(p => p.End - p.Start).ShouldBeLessThanOrEqualTo(1.0 + 0.35);

        // Chapters: at least two, each after the first starting inside a pause; the MP3's ID3 chapters say the same.
        using var chapters = JsonDocument.Parse(await File.ReadAllTextAsync(_dir.File("out/chapters.json"), ct));
        var list = chapters.RootElement.GetProperty("chapters").EnumerateArray()
            .Select(c => (Start: c.GetProperty("startTime").GetDouble(), Title: c.GetProperty("title").GetString()!)).ToList();
        list.Count.ShouldBeGreaterThanOrEqualTo(2);
        list[0].Start.ShouldBe(0);
        foreach (var c in list.Skip(1))
            pauses.ShouldContain(p => p.Start <= c.Start && c.Start <= p.End, $"chapter '{c.Title}' at {c.Start}s is not in a pause");
        var probe = await Ffprobe(mp3, ct);
        probe.GetProperty("chapters").EnumerateArray().Select(c => c.GetProperty("tags").GetProperty("title").GetString()).ShouldBe(list.Select(c => c.Title));
        probe.GetProperty("chapters")[1].GetProperty("start_time").GetString().ShouldBe(list[1].Start.ToString("0.000000", CultureInfo.InvariantCulture));
        var tags = probe.GetProperty("format").GetProperty("tags");
        tags.GetProperty("title").GetString().ShouldBe("Weather stations");
        tags.GetProperty("album").GetString().ShouldBe("The Workshop");
        tags.GetProperty("artist").GetString().ShouldBe("Ada Host");
        probe.GetProperty("streams").EnumerateArray().ShouldContain(s => s.GetProperty("codec_type").GetString() == "video"
            && s.GetProperty("disposition").GetProperty("attached_pic").GetInt32() == 1);
        probe.GetProperty("streams")[0].GetProperty("channels").GetInt32().ShouldBe(1);
        (await Ffprobe(_dir.File("out/episode.m4a"), ct)).GetProperty("chapters").GetArrayLength().ShouldBe(list.Count);

        // Transcript: the offline engine hears much of the known script.
        using var transcript = JsonDocument.Parse(await File.ReadAllTextAsync(_dir.File("out/transcript.json"), ct));
        var heard = string.Join(' ', transcript.RootElement.GetProperty("segments").EnumerateArray().Select(s => s.GetProperty("body").GetString()));
        var script = Words(string.Join(' ', TestPodcastAudio.Script));
        var overlap = script.Count(Words(heard).Contains) / (double)script.Count;
        overlap.ShouldBeGreaterThan(0.5, $"heard: {heard}");
        (await File.ReadAllTextAsync(_dir.File("out/transcript.vtt"), ct)).ShouldStartWith("WEBVTT");

        // Peaks: audiowaveform v2 JSON, ~1000 points, loud after normalization.
        using var peaks = JsonDocument.Parse(await File.ReadAllTextAsync(_dir.File("out/peaks.json"), ct));
        var p = peaks.RootElement;
        p.GetProperty("version").GetInt32().ShouldBe(2);
        p.GetProperty("bits").GetInt32().ShouldBe(8);
        var data = p.GetProperty("data").EnumerateArray().Select(v => v.GetInt32()).ToList();
        data.Count.ShouldBe(2 * p.GetProperty("length").GetInt32());
        p.GetProperty("length").GetInt32().ShouldBeInRange(800, 2000);
        data.ShouldAllBe(v => v >= -128 && v <= 127);
        data.Max().ShouldBeGreaterThan(64);
        p.GetProperty("duration").GetDouble().ShouldBe(outputSeconds, 0.2);

        // The manifest says what ran and what was measured.
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(_dir.File("out/episode.json"), ct));
        var m = manifest.RootElement;
        m.GetProperty("loudness").GetProperty("integratedLufs").GetDouble().ShouldBe(loudness.IntegratedLufs, 0.15);
        m.GetProperty("durationSeconds").GetDouble().ShouldBe(outputSeconds, 0.2);
        m.GetProperty("chapters").GetArrayLength().ShouldBe(list.Count);
        foreach (var step in new[] { "denoise", "trimSilence", "level", "transcribe", "showNotes", "chapters", "aac" })
            m.GetProperty("steps").GetProperty(step).GetString().ShouldBe("done", step);
        m.GetProperty("summary").GetString().ShouldNotBeNullOrWhiteSpace();
        var notes = await File.ReadAllTextAsync(_dir.File("out/shownotes.md"), ct);
        notes.ShouldStartWith("# Weather stations");
        notes.ShouldContain("## Chapters");
        reporter.Progress.Select(x => x.Percent).ShouldBeInOrder();
    }

    [Fact]
    public async Task A_retry_after_the_encode_reuses_the_processed_audio()
    {
        var ct = TestContext.Current.CancellationToken;
        var input = TestPodcastAudio.Episode();
        var checkpoints = new DirectoryCheckpoints(_dir.File("checkpoints"));
        const string options = """{"transcribe":false}""";
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var first = PipelineTesting.Context(Pipeline, _services, options, _dir.File("s1"), new CancelOnMessage("Finding chapters", cts),
            new CopyingArtifactSink(_dir.File("o1")), AudioInput(input, 27));
        await Should.ThrowAsync<OperationCanceledException>(() => PipelineHost.RunAsync(Pipeline, WithCheckpoints(first, checkpoints), cts.Token));
        checkpoints.Saved.ShouldBe(["processed", "encoded"]);

        var reporter = new RecordingReporter();
        var second = PipelineTesting.Context(Pipeline, _services, options, _dir.File("s2"), reporter, new CopyingArtifactSink(_dir.File("o2")), AudioInput(input, 27));
        await PipelineHost.RunAsync(Pipeline, WithCheckpoints(second, checkpoints), ct);
        reporter.Lines.ShouldContain(l => l.Contains("from an earlier attempt is reused", StringComparison.Ordinal));
        reporter.Progress.ShouldNotContain(x => x.Step == "process" && x.Message != null && x.Message.Contains("noise floor", StringComparison.Ordinal));
        checkpoints.Saved.ShouldBe(["processed", "encoded", "notes"]);
        File.Exists(_dir.File("o2/episode.mp3")).ShouldBeTrue();
    }

    [Fact]
    public async Task A_damaged_file_fails_with_a_clear_message()
    {
        var ct = TestContext.Current.CancellationToken;
        var bad = _dir.File("broken.mp3");
        await File.WriteAllBytesAsync(bad, [.. "ID3"u8.ToArray(), .. Enumerable.Range(0, 4000).Select(i => (byte)(i * 7919 % 251))], ct);
        var context = PipelineTesting.Context(Pipeline, _services, null, _dir.File("scratch"), new RecordingReporter(), new CopyingArtifactSink(_dir.File("out")), AudioInput(bad, 12));
        var ex = await Should.ThrowAsync<PipelineException>(() => PipelineHost.RunAsync(Pipeline, context, ct));
        ex.Code.ShouldBe("invalid_audio");
        ex.Transient.ShouldBeFalse();
        ex.Message.ShouldNotContain(_dir.Path);
    }

    [Fact]
    public async Task An_empty_recording_fails_with_a_clear_message()
    {
        var ct = TestContext.Current.CancellationToken;
        var empty = _dir.File("empty.wav");
        await new ProcessRunner().RunAsync(new ProcessSpec("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono", "-t", "0.01", empty]), ct);
        var context = PipelineTesting.Context(Pipeline, _services, null, _dir.File("scratch"), new RecordingReporter(), new CopyingArtifactSink(_dir.File("out")), AudioInput(empty, 0.01));
        var ex = await Should.ThrowAsync<PipelineException>(() => PipelineHost.RunAsync(Pipeline, context, ct));
        ex.Code.ShouldBe("empty_audio");
    }

    [Theory]
    [InlineData(30, 3)]     // the minimum
    [InlineData(200, 4)]    // 3.34 minutes, rounded up
    [InlineData(3600, 60)]
    public void Prices_by_the_input_minute_with_a_minimum_of_three(double seconds, long credits)
    {
        var catalog = _services.GetRequiredService<PipelineCatalog>();
        var plan = catalog.Plan(Pipeline, default, new InputSet<InputFacts>([AudioFacts("x.wav", seconds)]));
        plan.Value!.Estimate.Total.ShouldBe(credits);
    }

    [Fact]
    public void A_video_without_sound_or_a_zero_length_recording_is_refused_before_the_job()
    {
        var catalog = _services.GetRequiredService<PipelineCatalog>();
        var silentVideo = InputFacts.From("audio", "video", "screen.mp4", 1000, """{"durationSeconds":12,"streams":[{"type":"video","width":640,"height":360}]}""");
        catalog.Plan(Pipeline, default, new InputSet<InputFacts>([silentVideo])).Error!.Code.ShouldBe("no_audio_track");
        var empty = InputFacts.From("audio", "audio", "empty.webm", 100, """{"durationSeconds":0,"streams":[{"type":"audio","channels":1}]}""");
        catalog.Plan(Pipeline, default, new InputSet<InputFacts>([empty])).Error!.Code.ShouldBe("empty_audio");
    }

    [Theory]
    [InlineData("""{"loudnessTarget":-18}""", "loudnessTarget")]
    [InlineData("""{"silenceThresholdSeconds":0.1}""", "silenceThresholdSeconds")]
    [InlineData("""{"speechEngine":"nope"}""", "speechEngine")]
    [InlineData("""{"engine":"nope"}""", "engine")]
    public void Refuses_invalid_options_naming_the_field(string json, string field)
    {
        var error = Pipeline.ParseOptions(Json.Parse(json)).Error!;
        error.Code.ShouldBe("invalid_options");
        error.Extensions!["field"].ShouldBe(field);
    }

    [Fact]
    public void The_loudness_presets_are_numbers_in_the_schema()
    {
        var schema = Pipeline.Descriptor.OptionsSchema.GetProperty("properties").GetProperty("loudnessTarget");
        schema.GetProperty("enum").EnumerateArray().Select(v => v.GetInt32()).ShouldBe([-14, -16, -19, -23]);
        schema.GetProperty("default").GetInt32().ShouldBe(-16);
    }

    private static HashSet<string> Words(string text) =>
        [.. text.ToLowerInvariant().Split([' ', '.', ',', '!', '?'], StringSplitOptions.RemoveEmptyEntries).Where(w => w.Length > 3)];

    /// <summary>50 ms RMS levels measured by ffmpeg's astats (not the pipeline's reader).</summary>
    private static async Task<IReadOnlyList<double>> QuietWindows(string path, CancellationToken ct)
    {
        var result = await new ProcessRunner().RunAsync(new ProcessSpec("ffmpeg",
            ["-v", "error", "-i", path, "-af", "aresample=44100,asetnsamples=n=2205:p=0,astats=metadata=1:reset=1,ametadata=print:key=lavfi.astats.Overall.RMS_level:file=-", "-f", "null", "-"]), ct);
        return result.Stdout.Split('\n').Where(l => l.StartsWith("lavfi.astats.Overall.RMS_level=", StringComparison.Ordinal))
            .Select(l => l.Split('=')[1] is var v && v.Contains("inf", StringComparison.Ordinal) ? -120 : double.Parse(v, CultureInfo.InvariantCulture)).ToList();
    }

    /// <summary>Pauses: runs of ≥ 0.3 s quieter than 15 dB under the speech level (90th percentile).</summary>
    private static List<(double Start, double End)> Runs(IReadOnlyList<double> windows)
    {
        var speech = windows.Order().ElementAt((int)(windows.Count * 0.9));
        var runs = new List<(double, double)>();
        var start = -1;
        for (var i = 0; i <= windows.Count; i++)
        {
            var quiet = i < windows.Count && windows[i] < speech - 15;
            if (quiet && start < 0) start = i;
            else if (!quiet && start >= 0)
            {
                if (i - start >= 6) runs.Add((start * 0.05, i * 0.05));
                start = -1;
            }
        }
        return runs;
    }

    private static async Task<JsonElement> Ffprobe(string path, CancellationToken ct)
    {
        var probe = await new ProcessRunner().RunAsync(new ProcessSpec("ffprobe", ["-v", "error", "-show_chapters", "-show_streams", "-show_format", "-of", "json", path]), ct);
        return JsonDocument.Parse(probe.Stdout).RootElement.Clone();
    }

    private static PipelineContext WithCheckpoints(PipelineContext c, ICheckpointStore store) => new()
    {
        JobId = c.JobId, Inputs = c.Inputs, Options = c.Options, ScratchDirectory = c.ScratchDirectory,
        Reporter = c.Reporter, Artifacts = c.Artifacts, Services = c.Services, Checkpoints = store,
    };


    private sealed class CancelOnMessage(string text, CancellationTokenSource cts) : IPipelineReporter
    {
        public Task ProgressAsync(int percent, string step, string? message, CancellationToken ct)
        {
            if (message?.Contains(text, StringComparison.Ordinal) == true) cts.Cancel();
            return Task.CompletedTask;
        }

        public Task LogAsync(string line, CancellationToken ct) => Task.CompletedTask;
    }
}
