using Kiln.Core.Pipelines;
using Kiln.Core.Pipelines.PdfPodcast;
using Kiln.Core.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Core.Tests.Pipelines.PdfPodcast;

/// <summary>A job may choose one of the text engines the operator configured (the default stays the offline one).</summary>
public sealed class PdfPodcastEngineTests
{
    [Fact]
    public async Task A_job_can_choose_a_configured_engine_and_model()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        server.Reply = _ => "Ada: The kiln is hot.\nBen: And the glaze melts.";
        using var services = Services.Build(new Dictionary<string, string?>
        {
            ["Kiln:Ai:DefaultProvider"] = "extractive",
            ["Kiln:Ai:Providers:local:Kind"] = "openai",
            ["Kiln:Ai:Providers:local:BaseUrl"] = server.BaseUrl,
            ["Kiln:Ai:Providers:local:Models:0"] = "small",
            ["Kiln:Ai:Providers:local:Models:1"] = "large",
        });
        var catalog = services.GetRequiredService<PipelineCatalog>();
        var pipeline = catalog.Find(PdfPodcastPipeline.PipelineId)!;

        var unknown = catalog.Plan(pipeline, Json.Parse("""{"engine":"local/huge"}"""), new([PipelineTesting.Pdf(4)])).Error!;
        unknown.Extensions!["field"].ShouldBe("engine");
        unknown.Message.ShouldContain("local/large");

        using var dir = new TempDir();
        var pdf = TestPdf.Write(dir.File("h.pdf"), PdfPodcastPipelineTests.HandbookPages());
        var reporter = new RecordingReporter();
        await PipelineHost.RunAsync(pipeline, PipelineTesting.Context(pipeline, services, """{"hosts":["Ada","Ben"],"engine":"local/large"}""", dir.File("s"),
            reporter, new CopyingArtifactSink(dir.File("out")), PipelineTesting.PdfInput(pdf, 4)), TestContext.Current.CancellationToken);
        server.Requests.ShouldNotBeEmpty();
        // The job log says what the provider was used for (the fake server reports token usage like the real one).
        reporter.Lines.ShouldContain(l => l.StartsWith($"AI usage: {server.Requests.Count} call(s)", StringComparison.Ordinal));
        server.Requests.ShouldAllBe(r => r.GetProperty("model").GetString() == "large");

        // Without a choice the default (offline) engine writes the script: the server hears nothing more.
        var before = server.Requests.Count;
        await PipelineHost.RunAsync(pipeline, PipelineTesting.Context(pipeline, services, """{"hosts":["Ada","Ben"]}""", dir.File("s2"),
            new RecordingReporter(), new CopyingArtifactSink(dir.File("out2")), PipelineTesting.PdfInput(pdf, 4)), TestContext.Current.CancellationToken);
        server.Requests.Count.ShouldBe(before);
    }
}
