using System.Text.Json;
using Kiln.Core.Media;
using Kiln.Core.Pipelines;
using Kiln.Core.Pipelines.PdfPodcast;
using Kiln.Core.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Core.Tests.Pipelines.PdfPodcast;

public sealed class PdfPodcastPipelineTests : IDisposable
{
    private readonly ServiceProvider _services = Services.Build();
    private readonly TempDir _dir = new();
    private IPipeline Pipeline => _services.GetRequiredService<PipelineCatalog>().Find(PdfPodcastPipeline.PipelineId)!;

    public void Dispose()
    {
        _services.Dispose();
        _dir.Dispose();
    }

    /// <summary>A small handbook with running headers, page numbers, numbered headings and a hyphenated word.</summary>
    public static string[] HandbookPages() =>
    [
        "The Kiln Handbook\n1 Introduction\n" + string.Join('\n', SampleText.Kilns.Take(5)) + "\nFiring needs pati-\nence and careful attention.\n1",
        "The Kiln Handbook\n" + string.Join('\n', SampleText.Kilns.Skip(5)) + "\n2",
        "The Kiln Handbook\n2 Glazes and Colour\nA glaze is a thin layer of glass fused to the surface of a pot during the firing.\n"
            + "Oxides of iron and copper give glazes their colours in the kiln.\nReduction firing starves the kiln of oxygen, which changes glaze colours.\n3",
        "The Kiln Handbook\nGlaze recipes are measured by weight and tested on small tiles before a full firing.\n"
            + "A glaze that runs too much can fuse a pot to the kiln shelf.\n4",
    ];

    private PipelineContext Context(string pdfPath, string optionsJson, IPipelineReporter reporter, CopyingArtifactSink sink, int? pages = null) =>
        PipelineTesting.Context(Pipeline, _services, optionsJson, _dir.File($"scratch-{Guid.NewGuid():N}"), reporter, sink, PipelineTesting.PdfInput(pdfPath, pages));

    [Fact]
    public async Task Turns_a_generated_pdf_into_script_artifacts()
    {
        var pdf = TestPdf.Write(_dir.File("handbook.pdf"), HandbookPages(), title: "The Kiln Handbook");
        var reporter = new RecordingReporter();
        var sink = new CopyingArtifactSink(_dir.File("out"));
        var plan = _services.GetRequiredService<PipelineCatalog>().Plan(Pipeline, Json.Parse("""{"hosts":["Ada","Ben"]}"""), new([PipelineTesting.Pdf(4)]));

        var outcome = await PipelineHost.RunAsync(Pipeline, Context(pdf, plan.Value!.OptionsJson.GetRawText(), reporter, sink, 4), TestContext.Current.CancellationToken);

        outcome.ActualCost.ShouldBeNull();
        sink.Added.Select(a => a.Name).ShouldBe(["script.json", "script.md", "chapters.txt"]);
        var script = PodcastScript.FromJson(await File.ReadAllTextAsync(_dir.File("out/script.json"), TestContext.Current.CancellationToken))!;
        script.Title.ShouldBe("The Kiln Handbook");
        script.Pipeline.ShouldBe("pdf-podcast");
        script.Hosts.ShouldBe(["Ada", "Ben"]);
        script.Chapters.Select(c => (c.Title, c.Pages)).ShouldBe([("Introduction", new PageSpan(1, 2)), ("Glazes and Colour", new PageSpan(3, 4))]);
        script.Chapters.SelectMany(c => c.Turns).ShouldAllBe(t => t.Speaker == "Ada" || t.Speaker == "Ben");
        var allText = string.Join(' ', script.Chapters.SelectMany(c => c.Turns).Select(t => t.Text));
        allText.ShouldContain("kiln");
        allText.ShouldContain("glaze");

        var markdown = await File.ReadAllTextAsync(_dir.File("out/script.md"), TestContext.Current.CancellationToken);
        markdown.ShouldStartWith("# The Kiln Handbook");
        markdown.ShouldContain("## 2. Glazes and Colour (pages 3–4)");
        markdown.ShouldContain("Glazes and Colour");
        script.Chapters.SelectMany(c => c.Turns.Skip(c.Index == 1 ? 2 : 0).SkipLast(c.Index == script.Chapters.Count ? 2 : 0))
            .ShouldAllBe(t => t.Pages != null);
        markdown.ShouldContain("**Ada:**");

        var chapters = await File.ReadAllTextAsync(_dir.File("out/chapters.txt"), TestContext.Current.CancellationToken);
        chapters.ShouldContain("Firing needs patience and careful attention.");
        chapters.Split('\n').Skip(1).ShouldNotContain("The Kiln Handbook");

        var percents = reporter.Progress.Select(p => p.Percent).ToList();
        percents.ShouldBeInOrder();
        percents[^1].ShouldBe(100);
        reporter.Progress.Select(p => p.Step).Distinct().ShouldBe(["extract", "clean", "chapters", "script", "done"]);
        reporter.Lines.ShouldNotBeEmpty();
    }

    [Fact]
    public async Task Uses_the_outline_and_the_page_range()
    {
        var pdf = TestPdf.Write(_dir.File("outline.pdf"), HandbookPages(), outline: [("Getting Started", 1), ("All About Glazes", 3)]);
        var sink = new CopyingArtifactSink(_dir.File("out2"));
        await PipelineHost.RunAsync(Pipeline, Context(pdf, """{"pages":"2-4"}""", new RecordingReporter(), sink), TestContext.Current.CancellationToken);
        var script = PodcastScript.FromJson(await File.ReadAllTextAsync(_dir.File("out2/script.json"), TestContext.Current.CancellationToken))!;
        script.Title.ShouldBe("outline");
        script.Chapters.Select(c => c.Title).ShouldBe(["All About Glazes"]);
        script.Chapters[0].Pages.ShouldBe(new PageSpan(2, 4));
        (await File.ReadAllTextAsync(_dir.File("out2/chapters.txt"), TestContext.Current.CancellationToken)).ShouldNotContain("Introduction");
    }

    [Fact]
    public async Task A_pdf_without_text_fails_with_no_text()
    {
        var pdf = TestPdf.Write(_dir.File("scan.pdf"), ["", ""]);
        var ex = await Should.ThrowAsync<PipelineException>(() =>
            PipelineHost.RunAsync(Pipeline, Context(pdf, "{}", new RecordingReporter(), new CopyingArtifactSink(_dir.File("o"))), TestContext.Current.CancellationToken));
        ex.Code.ShouldBe("no_text");
        ex.Transient.ShouldBeFalse();
        ex.Message.ShouldContain("scan");
    }

    [Fact]
    public async Task A_damaged_pdf_fails_readably()
    {
        var path = _dir.File("broken.pdf");
        await File.WriteAllTextAsync(path, "%PDF-1.4\nnothing else", TestContext.Current.CancellationToken);
        var ex = await Should.ThrowAsync<PipelineException>(() =>
            PipelineHost.RunAsync(Pipeline, Context(path, "{}", new RecordingReporter(), new CopyingArtifactSink(_dir.File("o"))), TestContext.Current.CancellationToken));
        ex.Code.ShouldBe("pdf_unreadable");
        ex.Message.ShouldNotContain(_dir.Path);
    }

    [Fact]
    public async Task Narrates_a_two_voice_mp3_when_audio_is_on()
    {
        var pdf = TestPdf.Write(_dir.File("short.pdf"), HandbookPages()[..1]);
        var sink = new CopyingArtifactSink(_dir.File("audio-out"));
        var reporter = new RecordingReporter();
        await PipelineHost.RunAsync(Pipeline, Context(pdf, """{"audio":true,"maxChapters":1}""", reporter, sink, 1), TestContext.Current.CancellationToken);

        sink.Added.ShouldContain(("podcast.mp3", "audio/mpeg"));
        var seconds = await new AudioTools(new ProcessRunner()).GetDurationSecondsAsync(_dir.File("audio-out/podcast.mp3"), TestContext.Current.CancellationToken);
        seconds.ShouldBeGreaterThan(1);
        reporter.Progress.Select(p => p.Percent).ShouldBeInOrder();
        reporter.Progress.Select(p => p.Step).ShouldContain("audio");
    }

    [Fact]
    public async Task Cancellation_during_narration_stops_promptly()
    {
        var pdf = TestPdf.Write(_dir.File("cancel.pdf"), HandbookPages());
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var reporter = new CancellingReporter("audio", cts);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        await Should.ThrowAsync<OperationCanceledException>(() =>
            PipelineHost.RunAsync(Pipeline, Context(pdf, """{"audio":true}""", reporter, new CopyingArtifactSink(_dir.File("c"))), cts.Token));
        sw.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(10));
    }

    private sealed class CancellingReporter(string step, CancellationTokenSource cts) : IPipelineReporter
    {
        public Task ProgressAsync(int percent, string s, string? message, CancellationToken ct)
        {
            if (s == step) cts.Cancel();
            return Task.CompletedTask;
        }

        public Task LogAsync(string line, CancellationToken ct) => Task.CompletedTask;
    }
}
