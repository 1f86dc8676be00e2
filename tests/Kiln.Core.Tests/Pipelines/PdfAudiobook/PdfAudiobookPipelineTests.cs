using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kiln.Core.Media;
using Kiln.Core.Pipelines;
using Kiln.Core.Pipelines.PdfAudiobook;
using Kiln.Core.Tests.Pipelines.PdfPodcast;
using Kiln.Core.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Core.Tests.Pipelines.PdfAudiobook;

public sealed class PdfAudiobookPipelineTests : IDisposable
{
    private readonly ServiceProvider _services = Services.Build();
    private readonly TempDir _dir = new();
    private IPipeline Pipeline => _services.GetRequiredService<PipelineCatalog>().Find(PdfAudiobookPipeline.PipelineId)!;

    public void Dispose()
    {
        _services.Dispose();
        _dir.Dispose();
    }

    private static readonly string[] Book = PdfPodcastPipelineTests.HandbookPages();

    [Fact]
    public async Task Narrates_a_pdf_into_an_m4b_with_chapter_marks_at_audiobook_loudness()
    {
        var ct = TestContext.Current.CancellationToken;
        var pdf = TestPdf.Write(_dir.File("book.pdf"), Book, title: "The Kiln Handbook", outline: [("Getting Started", 1), ("All About Glazes", 3)]);
        var sink = new CopyingArtifactSink(_dir.File("out"));
        var reporter = new RecordingReporter();

        await PipelineHost.RunAsync(Pipeline, PipelineTesting.Context(Pipeline, _services, null, _dir.File("scratch"), reporter, sink, PipelineTesting.PdfInput(pdf, 4)), ct);

        sink.Added.Select(a => a.Name).ShouldBe(["book.m4b", "chapter-01.mp3", "chapter-02.mp3", "chapters.json", "book.txt"]);
        var probe = await new ProcessRunner().RunAsync(new ProcessSpec("ffprobe", ["-v", "error", "-show_chapters", "-show_entries", "format_tags=title:format=format_name", "-of", "json", _dir.File("out/book.m4b")]), ct);
        using var info = JsonDocument.Parse(probe.Stdout);
        info.RootElement.GetProperty("chapters").EnumerateArray().Select(c => c.GetProperty("tags").GetProperty("title").GetString()).ShouldBe(["Getting Started", "All About Glazes"]);
        info.RootElement.GetProperty("format").GetProperty("tags").GetProperty("title").GetString().ShouldBe("The Kiln Handbook");

        foreach (var file in new[] { "book.m4b", "chapter-01.mp3", "chapter-02.mp3" })
        {
            var (lufs, peak) = await Loudness(_dir.File("out/" + file), ct);
            lufs.ShouldBeInRange(-19, -17, file);
            peak.ShouldBeLessThanOrEqualTo(-3, file);
        }

        var chapters = JsonDocument.Parse(await File.ReadAllTextAsync(_dir.File("out/chapters.json"), ct)).RootElement.GetProperty("chapters");
        chapters.GetArrayLength().ShouldBe(2);
        chapters[1].GetProperty("startTime").GetDouble().ShouldBeGreaterThan(chapters[0].GetProperty("endTime").GetDouble());
        var text = await File.ReadAllTextAsync(_dir.File("out/book.txt"), ct);
        text.ShouldContain("patience");
        text.ShouldNotContain("The Kiln Handbook\n1 ");
        reporter.Progress.Select(p => p.Percent).ShouldBeInOrder();
        reporter.Progress.Select(p => p.Step).Distinct().ShouldBe(["extract", "chapters", "narrate", "master", "export", "done"]);
    }

    [Fact]
    public async Task A_retry_reuses_the_chapters_an_earlier_attempt_narrated()
    {
        var ct = TestContext.Current.CancellationToken;
        var pdf = TestPdf.Write(_dir.File("retry.pdf"), Book, outline: [("Getting Started", 1), ("All About Glazes", 3)]);
        var checkpoints = new DirectoryCheckpoints(_dir.File("checkpoints"));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var first = PipelineTesting.Context(Pipeline, _services, """{"chapterMp3s":false}""", _dir.File("s1"), new CancelOnMessage("chapter 2 of 2", cts), new CopyingArtifactSink(_dir.File("o1")), PipelineTesting.PdfInput(pdf, 4));
        await Should.ThrowAsync<OperationCanceledException>(() => PipelineHost.RunAsync(Pipeline, WithCheckpoints(first, checkpoints), cts.Token));
        checkpoints.Saved.ShouldBe(["chapter-001"]);

        var reporter = new RecordingReporter();
        var second = PipelineTesting.Context(Pipeline, _services, """{"chapterMp3s":false}""", _dir.File("s2"), reporter, new CopyingArtifactSink(_dir.File("o2")), PipelineTesting.PdfInput(pdf, 4));
        await PipelineHost.RunAsync(Pipeline, WithCheckpoints(second, checkpoints), ct);
        reporter.Lines.ShouldContain(l => l.Contains("Chapter 1 was narrated by an earlier attempt", StringComparison.Ordinal));
        checkpoints.Saved.ShouldBe(["chapter-001", "chapter-002"]);
    }

    [Theory]
    [InlineData("""{"speed":3}""", "speed")]
    [InlineData("""{"voice":"third"}""", "voice")]
    [InlineData("""{"pages":"9-12"}""", "pages")]
    public void Refuses_bad_options_naming_the_field(string options, string field)
    {
        var plan = _services.GetRequiredService<PipelineCatalog>().Plan(Pipeline, Json.Parse(options), new([PipelineTesting.Pdf(8)]));
        plan.Error!.Extensions!["field"].ShouldBe(field);
    }

    [Fact]
    public void Costs_one_credit_per_started_four_pages_with_the_offline_voice()
    {
        var catalog = _services.GetRequiredService<PipelineCatalog>();
        catalog.Plan(Pipeline, default, new([PipelineTesting.Pdf(10)])).Value!.EstimatedCost.ShouldBe(3);
        catalog.Plan(Pipeline, default, new([PipelineTesting.Pdf(1)])).Value!.EstimatedCost.ShouldBe(1);
    }

    [Fact]
    public void Long_text_is_cut_between_sentences()
    {
        var text = string.Join(' ', Enumerable.Range(1, 200).Select(i => $"Sentence number {i} is here."));
        var chunks = PdfAudiobookPipeline.Chunks("Chapter 1. Start.", text).ToList();
        chunks[0].ShouldBe("Chapter 1. Start.");
        chunks.Skip(1).ShouldAllBe(c => c.Length <= 1500 && c.EndsWith('.'));
        string.Join(' ', chunks.Skip(1)).ShouldBe(text);
    }

    [Fact]
    public async Task Limiting_the_master_brings_its_true_peak_under_the_new_ceiling()
    {
        var ct = TestContext.Current.CancellationToken;
        var runner = new ProcessRunner();
        var loud = _dir.File("loud.wav");
        (await runner.RunAsync(new ProcessSpec("ffmpeg",
            ["-nostdin", "-y", "-f", "lavfi", "-i", "sine=frequency=3000:sample_rate=44100:duration=3", "-af", "volume=0.95", "-ac", "1", loud]), ct)).Succeeded.ShouldBeTrue();
        var assembler = new AudiobookAssembler(runner, new AudioTools(runner));
        var limited = await assembler.LimitAsync(loud, -6, Directory.CreateDirectory(_dir.File("lim")).FullName, ct);
        var (_, peak) = await Loudness(limited, ct);
        peak.ShouldBeLessThanOrEqualTo(-5.5);
    }

    [Fact]
    public void List_bullets_are_read_as_pauses_not_as_words()
    {
        PdfAudiobookPipeline.Chunks("H.", "This proposes: •\n\nA standard way.\n\n•\n\nA second way").Skip(1).ShouldBe(["This proposes: A standard way. A second way"]);
    }

    private static PipelineContext WithCheckpoints(PipelineContext c, ICheckpointStore store) => new()
    {
        JobId = c.JobId, Inputs = c.Inputs, Options = c.Options, ScratchDirectory = c.ScratchDirectory, Reporter = c.Reporter,
        Artifacts = c.Artifacts, Services = c.Services, Checkpoints = store,
    };

    private static async Task<(double Lufs, double Peak)> Loudness(string path, CancellationToken ct)
    {
        var r = await new ProcessRunner().RunAsync(new ProcessSpec("ffmpeg", ["-nostdin", "-hide_banner", "-i", path, "-af", "ebur128=peak=true", "-f", "null", "-"]), ct);
        var summary = r.Stderr[r.Stderr.LastIndexOf("Summary:", StringComparison.Ordinal)..];
        double Grab(string pattern) => double.Parse(Regex.Match(summary, pattern).Groups[1].Value, CultureInfo.InvariantCulture);
        return (Grab(@"I:\s+(-?[\d.]+) LUFS"), Grab(@"Peak:\s+(-?[\d.]+) dBFS"));
    }

    /// <summary>Checkpoints in a local directory, recording what was saved.</summary>

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
