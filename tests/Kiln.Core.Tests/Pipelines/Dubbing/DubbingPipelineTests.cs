using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kiln.Core.Media;
using Kiln.Core.Media.Speech;
using Kiln.Core.Media.Translation;
using Kiln.Core.Pipelines;
using Kiln.Core.Pipelines.Dubbing;
using Kiln.Core.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Core.Tests.Pipelines.Dubbing;

public sealed partial class DubbingPipelineTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly List<ServiceProvider> _providers = [];

    public void Dispose()
    {
        foreach (var p in _providers) p.Dispose();
        _dir.Dispose();
    }

    /// <param name="realSpeech">Transcribe with the configured engines (pocketsphinx offline) instead of the test's script.</param>
    private (IPipeline Pipeline, ServiceProvider Services) Build(DubbingMedia media, ITranslator? translator = null, ISpeechToTextEngines? speech = null, bool realSpeech = false,
        Dictionary<string, string?>? config = null)
    {
        var services = new ServiceCollection();
        if (!realSpeech) services.AddSingleton(speech ?? new ScriptedSpeechToText(media.Segments));
        if (translator is not null) services.AddSingleton(translator);
        services.AddPipelines(new ConfigurationBuilder().AddInMemoryCollection(config ?? []).Build());
        var provider = services.BuildServiceProvider();
        _providers.Add(provider);
        return (provider.GetRequiredService<PipelineCatalog>().Find(DubbingPipeline.PipelineId)!, provider);
    }

    private static PipelineInput Voice(DubbingMedia m, bool video = false) => new("voice", video ? m.Video : m.Voice,
        InputFacts.From("voice", video ? "video" : "audio", video ? "talk.mp4" : "voice.wav", 1000,
            FormattableString.Invariant($$"""{"durationSeconds":{{m.Duration}},"streams":[{"type":"audio","channels":1,"sampleRate":44100}]}""")));

    private static PipelineInput Background(string path) => new("background", path,
        InputFacts.From("background", "audio", Path.GetFileName(path), 1000, """{"durationSeconds":10,"streams":[{"type":"audio","channels":1,"sampleRate":44100}]}"""));

    private PipelineContext Context(IPipeline pipeline, IServiceProvider services, string options, string name, IPipelineReporter reporter,
        ISubtaskReporter subtasks, ICheckpointStore? checkpoints = null, int attempt = 1, params PipelineInput[] inputs)
    {
        var c = PipelineTesting.Context(pipeline, services, options, _dir.File($"scratch-{name}"), reporter, new CopyingArtifactSink(_dir.File($"out-{name}")), inputs);
        return new PipelineContext
        {
            JobId = c.JobId, Inputs = c.Inputs, Options = c.Options, ScratchDirectory = c.ScratchDirectory, Reporter = reporter, Artifacts = c.Artifacts,
            Services = services, Subtasks = subtasks, Checkpoints = checkpoints ?? NoCheckpoints.Instance, Attempt = attempt, MaxAttempts = 3,
        };
    }

    [Fact]
    public async Task Dubs_a_video_into_spanish_and_catalan_offline_with_the_timing_loudness_captions_and_language_tags_of_the_source()
    {
        var ct = TestContext.Current.CancellationToken;
        var media = await DubbingMedia.GetAsync();
        var (pipeline, services) = Build(media, realSpeech: true);
        var reporter = new RecordingReporter();
        var subtasks = new InMemorySubtasks();
        var context = Context(pipeline, services, """{"targetLanguages":["es","ca"],"multiTrackVideo":true}""", "e2e", reporter, subtasks,
            inputs: [Voice(media, video: true), Background(media.Background)]);

        var outcome = await PipelineHost.RunAsync(pipeline, context, ct);

        var sink = (CopyingArtifactSink)context.Artifacts;
        sink.Added.Select(a => a.Name).Order().ShouldBe(new[]
        {
            "captions-ca.srt", "captions-ca.vtt", "captions-en.srt", "captions-en.vtt", "captions-es.srt", "captions-es.vtt",
            "dub-all.mp4", "dub-ca.mp3", "dub-ca.mp4", "dub-es.mp3", "dub-es.mp4", "manifest.json",
        }.Order());
        var outDir = _dir.File("out-e2e");
        var seconds = (long)Math.Ceiling(media.Duration);
        outcome.ActualCost.ShouldBe(2 * (long)Math.Ceiling(seconds * 0.1m));
        subtasks.Snapshot().Select(s => (s.Key, s.Stage, s.Progress)).ShouldBe([("es", "done", 100), ("ca", "done", 100)]);

        // The source pause before the first sentence: background only (no speech) — the reference for "speech is here".
        var quiet = await DubbingMedia.MeanVolumeAsync(Path.Combine(outDir, "dub-es.mp3"), 0.05, media.Segments[0].Start - 0.05);
        foreach (var code in new[] { "es", "ca" })
        {
            var mp3 = Path.Combine(outDir, $"dub-{code}.mp3");
            (await DubbingMedia.DurationAsync(new ProcessRunner(), mp3)).ShouldBe(media.Duration, media.Duration * 0.01, code);
            foreach (var s in media.Segments)
                (await DubbingMedia.MeanVolumeAsync(mp3, s.Start, Math.Min(s.End, s.Start + 1))).ShouldBeGreaterThan(quiet + 6, $"{code} speech at {s.Start:0.0}s");
            var loudness = await new AudioTools(new ProcessRunner()).MeasureLoudnessAsync(mp3, ct);
            loudness.IntegratedLufs.ShouldBe(-16, 1, code);
            loudness.TruePeakDbtp.ShouldBeLessThanOrEqualTo(-1, code);

            var cues = SrtStarts().Matches(await File.ReadAllTextAsync(Path.Combine(outDir, $"captions-{code}.srt"), ct)).Select(m => SrtSeconds(m)).ToList();
            // pocketsphinx heard the speech: every sentence has a cue starting within 0.5 s of it, and no cue starts elsewhere.
            foreach (var s in media.Segments)
                cues.ShouldContain(c => Math.Abs(c - s.Start) <= 0.5, $"{code}: no cue near {s.Start:0.00}s in [{string.Join(", ", cues)}]");
            foreach (var c in cues)
                media.Segments.ShouldContain(s => c >= s.Start - 0.5 && c <= s.End + 0.5, $"{code}: cue at {c:0.00}s outside the speech");
            (await File.ReadAllTextAsync(Path.Combine(outDir, $"captions-{code}.vtt"), ct)).ShouldStartWith("WEBVTT");

            var streams = await Streams(Path.Combine(outDir, $"dub-{code}.mp4"), ct);
            streams.ShouldBe([("video", null), ("audio", code == "es" ? "spa" : "cat")]);
        }
        (await Streams(Path.Combine(outDir, "dub-all.mp4"), ct)).ShouldBe([("video", null), ("audio", "spa"), ("audio", "cat")]);
        var spanish = await File.ReadAllTextAsync(Path.Combine(outDir, "captions-es.srt"), ct);
        spanish.ShouldContain("Gracias");

        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(outDir, "manifest.json"), ct));
        manifest.RootElement.GetProperty("sourceLanguage").GetString().ShouldBe("en");
        manifest.RootElement.GetProperty("speechEngine").GetString().ShouldBe("pocketsphinx");
        var languages = manifest.RootElement.GetProperty("languages");
        languages.GetArrayLength().ShouldBe(2);
        foreach (var l in languages.EnumerateArray())
        {
            l.GetProperty("status").GetString().ShouldBe("done");
            var segs = l.GetProperty("segments").EnumerateArray().ToList();
            segs.Count.ShouldBeGreaterThanOrEqualTo(3);
            // Never into the next segment.
            for (var i = 0; i + 1 < segs.Count; i++) segs[i].GetProperty("end").GetDouble().ShouldBeLessThanOrEqualTo(segs[i + 1].GetProperty("start").GetDouble());
        }
        reporter.Progress.Select(p => p.Percent).ShouldBeInOrder();
    }

    [Fact]
    public async Task One_language_failing_keeps_the_others_and_charges_only_them()
    {
        var ct = TestContext.Current.CancellationToken;
        var media = await DubbingMedia.GetAsync();
        var translator = new FailingTranslator(new ApertiumTranslator(new ProcessRunner()), "ca", () => new PipelineException("translation_failed", "The translator refused Catalan."));
        var (pipeline, services) = Build(media, translator);
        var subtasks = new InMemorySubtasks();
        var reporter = new RecordingReporter();
        var context = Context(pipeline, services, """{"targetLanguages":["es","ca"],"captionFormats":["srt"]}""", "partial", reporter, subtasks, inputs: [Voice(media)]);

        var outcome = await PipelineHost.RunAsync(pipeline, context, ct);

        outcome.ActualCost.ShouldBe((long)Math.Ceiling(Math.Ceiling(media.Duration) * 0.1));
        var states = subtasks.Snapshot().ToDictionary(s => s.Key);
        states["es"].Stage.ShouldBe("done");
        states["ca"].Stage.ShouldBe("failed");
        states["ca"].Error.ShouldBe("The translator refused Catalan.");
        ((CopyingArtifactSink)context.Artifacts).Added.Select(a => a.Name).ShouldNotContain("dub-ca.mp3");
        reporter.Lines.ShouldContain(l => l.StartsWith("Dubbed 1 of 2 languages; failed: Catalan", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Every_language_failing_fails_the_job()
    {
        var ct = TestContext.Current.CancellationToken;
        var media = await DubbingMedia.GetAsync();
        var translator = new FailingTranslator(new ApertiumTranslator(new ProcessRunner()), "es", () => new PipelineException("translation_failed", "No."));
        var (pipeline, services) = Build(media, translator);
        var context = Context(pipeline, services, """{"targetLanguages":["es"]}""", "allfail", new RecordingReporter(), new InMemorySubtasks(), inputs: [Voice(media)]);
        var ex = await Should.ThrowAsync<PipelineException>(() => PipelineHost.RunAsync(pipeline, context, ct));
        ex.Code.ShouldBe("dubbing_failed");
        ex.Message.ShouldContain("Spanish: No.");
    }

    [Fact]
    public async Task A_retry_after_the_first_language_finished_redoes_only_the_second()
    {
        var ct = TestContext.Current.CancellationToken;
        var media = await DubbingMedia.GetAsync();
        var checkpoints = new DirectoryCheckpoints(_dir.File("checkpoints"));
        var speech = new ScriptedSpeechToText(media.Segments);
        var flaky = new FailingTranslator(new ApertiumTranslator(new ProcessRunner()), "ca",
            () => new HttpRequestException("busy", null, HttpStatusCode.ServiceUnavailable), times: 1);
        var (pipeline, services) = Build(media, flaky, speech);
        var subtasks = new InMemorySubtasks();
        const string options = """{"targetLanguages":["es","ca"],"captionFormats":["vtt"]}""";

        var first = Context(pipeline, services, options, "a1", new RecordingReporter(), subtasks, checkpoints, attempt: 1, Voice(media));
        var failure = await Should.ThrowAsync<PipelineException>(() => PipelineHost.RunAsync(pipeline, first, ct));
        failure.Transient.ShouldBeTrue();
        checkpoints.Saved.ShouldBe(["transcript", "lang-es"]);

        var reporter = new RecordingReporter();
        var second = Context(pipeline, services, options, "a2", reporter, subtasks, checkpoints, attempt: 2, Voice(media));
        var outcome = await PipelineHost.RunAsync(pipeline, second, ct);

        flaky.Calls.ShouldBe(["es", "ca", "ca"]);
        speech.Calls.ShouldBe(1);
        checkpoints.Saved.ShouldBe(["transcript", "lang-es", "lang-ca"]);
        reporter.Lines.ShouldContain("Spanish was dubbed by an earlier attempt; reusing it.");
        ((CopyingArtifactSink)second.Artifacts).Added.Select(a => a.Name).ShouldContain("dub-es.mp3");
        outcome.ActualCost.ShouldBe(2 * (long)Math.Ceiling(Math.Ceiling(media.Duration) * 0.1));
    }

    [Fact]
    public async Task A_background_longer_than_the_voice_is_cut_to_its_length_with_a_warning()
    {
        var ct = TestContext.Current.CancellationToken;
        var media = await DubbingMedia.GetAsync();
        var (pipeline, services) = Build(media);
        var reporter = new RecordingReporter();
        var context = Context(pipeline, services, """{"targetLanguages":["es"],"captionFormats":[]}""", "long-bg", reporter, new InMemorySubtasks(),
            inputs: [Voice(media), Background(media.LongBackground)]);
        await PipelineHost.RunAsync(pipeline, context, ct);
        reporter.Lines.ShouldContain(l => l.Contains("is longer than the voice", StringComparison.Ordinal) && l.Contains("cut to the voice's length", StringComparison.Ordinal));
        (await DubbingMedia.DurationAsync(new ProcessRunner(), _dir.File("out-long-bg/dub-es.mp3"))).ShouldBe(media.Duration, media.Duration * 0.01);
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(_dir.File("out-long-bg/manifest.json"), ct));
        manifest.RootElement.GetProperty("warnings")[0].GetString()!.ShouldContain("longer than the voice");
    }

    [Fact]
    public async Task A_background_shorter_than_the_voice_is_padded_with_silence_with_a_warning()
    {
        var ct = TestContext.Current.CancellationToken;
        var media = await DubbingMedia.GetAsync();
        var (pipeline, services) = Build(media);
        var shortBackground = _dir.File("short-bg.wav");
        var made = await new ProcessRunner().RunAsync(new ProcessSpec("ffmpeg", ["-nostdin", "-y", "-f", "lavfi", "-i", "sine=frequency=330:duration=1.5",
            "-af", "volume=0.3", "-ac", "1", "-ar", "44100", shortBackground]), ct);
        made.ExitCode.ShouldBe(0, made.Stderr);
        var reporter = new RecordingReporter();
        var context = Context(pipeline, services, """{"targetLanguages":["es"],"captionFormats":[]}""", "short-bg", reporter, new InMemorySubtasks(),
            inputs: [Voice(media), Background(shortBackground)]);
        await PipelineHost.RunAsync(pipeline, context, ct);
        reporter.Lines.ShouldContain(l => l.Contains("is shorter than the voice", StringComparison.Ordinal) && l.Contains("padded with silence", StringComparison.Ordinal));
        (await DubbingMedia.DurationAsync(new ProcessRunner(), _dir.File("out-short-bg/dub-es.mp3"))).ShouldBe(media.Duration, media.Duration * 0.01);
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(_dir.File("out-short-bg/manifest.json"), ct));
        manifest.RootElement.GetProperty("warnings")[0].GetString()!.ShouldContain("shorter than the voice");
    }

    [Fact]
    public async Task No_speech_fails_with_no_speech_and_marks_every_language_failed()
    {
        var ct = TestContext.Current.CancellationToken;
        var media = await DubbingMedia.GetAsync();
        var (pipeline, services) = Build(media, speech: new ScriptedSpeechToText([]));
        var subtasks = new InMemorySubtasks();
        var context = Context(pipeline, services, """{"targetLanguages":["es","ca"]}""", "nospeech", new RecordingReporter(), subtasks,
            inputs: [new PipelineInput("voice", media.Noise, InputFacts.From("voice", "audio", "noise.wav", 10, """{"durationSeconds":4}"""))]);
        var ex = await Should.ThrowAsync<PipelineException>(() => PipelineHost.RunAsync(pipeline, context, ct));
        ex.Code.ShouldBe("no_speech");
        subtasks.Snapshot().Select(s => s.Stage).ShouldAllBe(s => s == "failed");
    }

    [Fact]
    public async Task A_video_without_an_audio_stream_fails_clearly()
    {
        var ct = TestContext.Current.CancellationToken;
        var media = await DubbingMedia.GetAsync();
        var (pipeline, services) = Build(media);
        var context = Context(pipeline, services, """{"targetLanguages":["es"]}""", "noaudio", new RecordingReporter(), new InMemorySubtasks(),
            inputs: [new PipelineInput("voice", media.SilentVideo, InputFacts.From("voice", "video", "silent.mp4", 10, """{"durationSeconds":3}"""))]);
        var ex = await Should.ThrowAsync<PipelineException>(() => PipelineHost.RunAsync(pipeline, context, ct));
        ex.Code.ShouldBe("no_audio");
        ex.Message.ShouldBe("The video has no audio track to dub.");
    }

    [Theory]
    [InlineData("""{"targetLanguages":["xx"]}""", "'xx'")]
    [InlineData("""{"targetLanguages":["ja"]}""", "'ja' (Japanese) is not offered")]
    [InlineData("""{"targetLanguages":["gl"]}""", "'gl' (Galician) cannot be spoken")]
    [InlineData("""{"targetLanguages":["es","es"]}""", "listed twice")]
    [InlineData("""{"targetLanguages":["es"],"voices":["ca=female"]}""", "language=voice")]
    public async Task Unsupported_languages_and_bad_voices_are_refused_naming_them(string options, string message)
    {
        var media = await DubbingMedia.GetAsync();
        var (pipeline, services) = Build(media);
        var catalog = services.GetRequiredService<PipelineCatalog>();
        var facts = new InputSet<InputFacts>([Voice(media).Facts]);
        var result = catalog.Plan(pipeline, Json.Parse(options), facts);
        result.Error.ShouldNotBeNull();
        result.Error.Code.ShouldBe("invalid_options");
        result.Error.Message.ShouldContain(message);
    }

    [Fact]
    public async Task The_estimate_has_one_line_per_language_priced_by_its_multiplier()
    {
        var media = await DubbingMedia.GetAsync();
        var (pipeline, services) = Build(media);
        var catalog = services.GetRequiredService<PipelineCatalog>();
        var facts = new InputSet<InputFacts>([InputFacts.From("voice", "audio", "talk.wav", 10, """{"durationSeconds":61.2}""")]);
        // Pricing is by language tier even when the pair is not installed: check it on the pure rule.
        var lines = new[] { "es", "ja", "ru" }.Select(c => DubbingPricing.For(c, 61.2)).ToList();
        var estimate = DubbingPricing.Default.Price(lines);
        estimate.Lines.Select(l => (l.Label, l.Credits)).ShouldBe([("Spanish (es), seconds", 7L), ("Japanese (ja), seconds", 8L), ("Russian (ru), seconds", 10L)]);
        var planned = catalog.Plan(pipeline, Json.Parse("""{"targetLanguages":["es","ca"]}"""), facts);
        planned.Value!.Estimate.Lines.Select(l => l.Label).ShouldBe(["Spanish (es), seconds", "Catalan (ca), seconds"]);
        planned.Value.EstimatedCost.ShouldBe(14);
    }

    [Fact]
    public async Task A_premium_voice_adds_its_per_minute_line_needs_the_plan_feature_and_is_spoken_by_the_paid_engine()
    {
        var ct = TestContext.Current.CancellationToken;
        var media = await DubbingMedia.GetAsync();
        await using var openAi = await FakeOpenAiServer.StartAsync();
        // The fake engine answers every sentence with one second of real speech-shaped audio.
        var wav = _dir.File("premium-reply.wav");
        (await new ProcessRunner().RunAsync(new ProcessSpec("ffmpeg", ["-nostdin", "-y", "-f", "lavfi", "-i", "sine=frequency=200:duration=1", "-ac", "1", "-ar", "24000", wav]), ct)).ExitCode.ShouldBe(0);
        openAi.Speech = await File.ReadAllBytesAsync(wav, ct);
        var (pipeline, services) = Build(media, config: new Dictionary<string, string?> { ["Kiln:Media:OpenAi:BaseUrl"] = openAi.BaseUrl });
        var catalog = services.GetRequiredService<PipelineCatalog>();
        var facts = new InputSet<InputFacts>([Voice(media).Facts]);

        var planned = catalog.Plan(pipeline, Json.Parse("""{"targetLanguages":["es","ca"],"voices":["es=openai:nova"]}"""), facts);
        planned.Error.ShouldBeNull();
        planned.Value!.Estimate.Lines.Select(l => (l.Meter, l.Label)).ShouldBe([
            ("second", "Spanish (es), seconds"), ("premiumVoiceMinute", "Premium voice openai:nova for Spanish (es), minutes"), ("second", "Catalan (ca), seconds")]);
        planned.Value.Estimate.Lines[1].Credits.ShouldBe(3 * (long)Math.Ceiling(media.Duration / 60));
        planned.Value.Requires.ShouldBe([new FeatureRequirement("premium-voices", "The premium voice 'openai:nova' (Spanish)")]);
        catalog.Plan(pipeline, Json.Parse("""{"targetLanguages":["es"],"voice":"elevenlabs:abc"}"""), facts).Error!.Message
            .ShouldBe("'elevenlabs' is not a premium speech engine here; configured: openai.");

        var subtasks = new InMemorySubtasks();
        var context = Context(pipeline, services, """{"targetLanguages":["es"],"voices":["es=openai:nova"],"captionFormats":[]}""", "premium", new RecordingReporter(), subtasks,
            inputs: [Voice(media)]);
        var outcome = await PipelineHost.RunAsync(pipeline, context, ct);
        outcome.ActualCost.ShouldBe(planned.Value.Estimate.Lines[0].Credits + planned.Value.Estimate.Lines[1].Credits);
        var speech = openAi.Requests.ToList();
        speech.Count.ShouldBe(media.Segments.Count);
        speech.ShouldAllBe(r => r.GetProperty("voice").GetString() == "nova");
        (await DubbingMedia.DurationAsync(new ProcessRunner(), _dir.File("out-premium/dub-es.mp3"))).ShouldBe(media.Duration, media.Duration * 0.01);
    }

    [Fact]
    public async Task Without_a_premium_engine_configured_a_premium_voice_is_refused_naming_it()
    {
        var media = await DubbingMedia.GetAsync();
        var (pipeline, services) = Build(media);
        var result = services.GetRequiredService<PipelineCatalog>().Plan(pipeline, Json.Parse("""{"targetLanguages":["es"],"voice":"openai:nova"}"""),
            new InputSet<InputFacts>([Voice(media).Facts]));
        result.Error!.Code.ShouldBe("invalid_options");
        result.Error.Message.ShouldContain("Premium voices are not set up on this installation, so 'openai:nova' cannot be used");
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("deepgram")]
    public async Task Auto_source_language_uses_the_language_the_speech_service_detected(string kind)
    {
        var ct = TestContext.Current.CancellationToken;
        var media = await DubbingMedia.GetAsync();
        await using var server = await Kiln.Core.Tests.Media.Speech.FakeSpeechServer.StartAsync();
        // Each service's documented response for the test's own sentences, the language left for the service to say.
        server.Respond = (_, _) => (200, kind == "openai"
            ? JsonSerializer.Serialize(new
            {
                task = "transcribe", language = "english", duration = media.Duration, text = string.Join(" ", media.Segments.Select(s => s.Text)),
                segments = media.Segments.Select((s, i) => new { id = i, seek = 0, start = s.Start, end = s.End, text = " " + s.Text, tokens = new[] { 1 }, temperature = 0.0, avg_logprob = -0.2, compression_ratio = 1.2, no_speech_prob = 0.01 }),
            })
            : JsonSerializer.Serialize(new
            {
                metadata = new { request_id = "req-1", duration = media.Duration, channels = 1 },
                results = new
                {
                    channels = new[] { new { alternatives = new[] { new { transcript = string.Join(" ", media.Segments.Select(s => s.Text)), confidence = 0.99 } }, detected_language = "en", language_confidence = 0.97 } },
                    utterances = media.Segments.Select((s, i) => new { start = s.Start, end = s.End, confidence = 0.95, channel = 0, transcript = s.Text, id = $"u{i}",
                        words = s.Text.Split(' ').Select((w, j) => new { word = w.ToLowerInvariant(), start = s.Start + j * 0.2, end = s.Start + j * 0.2 + 0.2, confidence = 0.9, punctuated_word = w }) }),
                },
            }));
        var (pipeline, services) = Build(media, realSpeech: true, config: new Dictionary<string, string?>
        {
            ["Kiln:Speech:Default"] = "cloud",
            ["Kiln:Speech:Engines:cloud:Kind"] = kind,
            ["Kiln:Speech:Engines:cloud:BaseUrl"] = kind == "openai" ? server.BaseUrl + "/v1" : server.BaseUrl,
            ["Kiln:Speech:Engines:cloud:ApiKey"] = "test-key",
        });
        var options = """{"sourceLanguage":"auto","targetLanguages":["es"],"captionFormats":["srt"]}""";
        services.GetRequiredService<PipelineCatalog>().Plan(pipeline, Json.Parse(options), new InputSet<InputFacts>([Voice(media).Facts])).Error.ShouldBeNull();
        var context = Context(pipeline, services, options, $"auto-{kind}", new RecordingReporter(), new InMemorySubtasks(), inputs: [Voice(media)]);
        await PipelineHost.RunAsync(pipeline, context, ct);

        var request = server.Requests.ShouldHaveSingleItem();
        if (kind == "openai") request.Fields.ContainsKey("language").ShouldBeFalse();
        else
        {
            request.Query["detect_language"].ToString().ShouldBe("true");
            request.Query.ContainsKey("language").ShouldBeFalse();
        }
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(_dir.File($"out-auto-{kind}/manifest.json"), ct));
        manifest.RootElement.GetProperty("sourceLanguage").GetString().ShouldBe("en");
        File.Exists(_dir.File($"out-auto-{kind}/captions-en.srt")).ShouldBeTrue();
        File.Exists(_dir.File($"out-auto-{kind}/dub-es.mp3")).ShouldBeTrue();
    }

    [Fact]
    public async Task Auto_source_language_with_only_pocketsphinx_is_refused_with_a_readable_message()
    {
        var media = await DubbingMedia.GetAsync();
        var (pipeline, services) = Build(media, realSpeech: true);
        var result = services.GetRequiredService<PipelineCatalog>().Plan(pipeline, Json.Parse("""{"sourceLanguage":"auto","targetLanguages":["es"]}"""),
            new InputSet<InputFacts>([Voice(media).Facts]));
        result.Error!.Code.ShouldBe("invalid_options");
        result.Error.Message.ShouldContain("cannot detect the language, so \"auto\" does not work here: name the language of the speech (e.g. en).");
    }

    [Fact]
    public async Task A_three_hour_file_is_over_the_limit()
    {
        var media = await DubbingMedia.GetAsync();
        var (pipeline, services) = Build(media);
        var facts = new InputSet<InputFacts>([InputFacts.From("voice", "audio", "long.mp3", 10, """{"durationSeconds":10800}""")]);
        var result = services.GetRequiredService<PipelineCatalog>().Plan(pipeline, Json.Parse("""{"targetLanguages":["es"]}"""), facts);
        result.Error!.Code.ShouldBe("input_too_long");
        result.Error.Message.ShouldBe("The voice file is 180 minutes long; dubbing takes files up to 120 minutes.");
    }

    [Fact]
    public async Task The_duration_limit_is_the_operators_dubbing_setting()
    {
        var media = await DubbingMedia.GetAsync();
        var (pipeline, services) = Build(media, config: new() { ["Kiln:Pipelines:dubbing:MaxInputSeconds"] = "600" });
        var facts = new InputSet<InputFacts>([InputFacts.From("voice", "audio", "talk.mp3", 10, """{"durationSeconds":660}""")]);
        var result = services.GetRequiredService<PipelineCatalog>().Plan(pipeline, Json.Parse("""{"targetLanguages":["es"]}"""), facts);
        result.Error!.Code.ShouldBe("input_too_long");
        result.Error.Message.ShouldBe("The voice file is 11 minutes long; dubbing takes files up to 10 minutes.");
        var shorter = new InputSet<InputFacts>([InputFacts.From("voice", "audio", "talk.mp3", 10, """{"durationSeconds":590}""")]);
        services.GetRequiredService<PipelineCatalog>().Plan(pipeline, Json.Parse("""{"targetLanguages":["es"]}"""), shorter).Error.ShouldBeNull();
    }

    [Fact]
    public async Task A_language_is_offered_the_installed_engines_voices_then_the_configured_premium_ones()
    {
        var media = await DubbingMedia.GetAsync();
        var (withPremium, _) = Build(media, config: new() { ["Kiln:Media:ElevenLabs:ApiKey"] = "never-called", ["Kiln:Media:ElevenLabs:VoiceIds:0"] = "rachel",
            ["Kiln:Media:ElevenLabs:VoiceIds:1"] = "adam", ["Kiln:Media:ElevenLabs:VoiceIds:2"] = "bella" });
        var spanish = ((DubbingPipeline)withPremium).VoicesFor("es").ToList();
        spanish.Take(2).ShouldBe([new("male", "Male (default)", "espeak-ng", false), new("female", "Female", "espeak-ng", false)]);
        // espeak-ng's own Spanish voices (Spain first, then Latin America), each in several variants.
        spanish.ShouldContain(new DubbingVoice("es+f2", "Spanish (Spain), female 2", "espeak-ng", false));
        spanish.ShouldContain(v => v.Id == "es-419+m1" && v.Label == "Spanish (Latin America), male 1");
        spanish.Select(v => v.Id).ShouldBeUnique();
        spanish.Where(v => v.Premium).Select(v => v.Id).ShouldBe(["elevenlabs:female", "elevenlabs:male", "elevenlabs:bella"]);
        spanish.FindIndex(v => v.Premium).ShouldBeGreaterThan(spanish.FindLastIndex(v => !v.Premium));

        // Every listed voice is one the per-language option accepts.
        foreach (var v in spanish)
            withPremium.ParseOptions(Json.Parse($$"""{"targetLanguages":["es"],"voices":["es={{v.Id}}"]}""")).Error.ShouldBeNull(v.Id);

        var (plain, _) = Build(media);
        ((DubbingPipeline)plain).VoicesFor("es").ShouldNotContain(v => v.Premium);
        ((DubbingPipeline)plain).VoicesFor("xx").ShouldBeEmpty();
    }

    private static async Task<List<(string Type, string? Language)>> Streams(string path, CancellationToken ct)
    {
        var r = await new ProcessRunner().RunAsync(new ProcessSpec("ffprobe", ["-v", "error", "-show_entries", "stream=codec_type:stream_tags=language", "-of", "json", path]), ct);
        using var doc = JsonDocument.Parse(r.Stdout);
        return doc.RootElement.GetProperty("streams").EnumerateArray().Select(s => (s.GetProperty("codec_type").GetString()!,
            s.TryGetProperty("tags", out var t) && t.TryGetProperty("language", out var l) && s.GetProperty("codec_type").GetString() == "audio" ? l.GetString() : null)).ToList();
    }

    private static double SrtSeconds(Match m) =>
        int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) * 3600 + int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) * 60
        + int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) + int.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture) / 1000.0;

    [GeneratedRegex(@"^(\d\d):(\d\d):(\d\d),(\d{3}) -->", RegexOptions.Multiline)]
    private static partial Regex SrtStarts();

}
