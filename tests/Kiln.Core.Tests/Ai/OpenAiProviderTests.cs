using Kiln.Core.Ai;
using Kiln.Core.Media;
using Kiln.Core.Pipelines;
using Kiln.Core.Pipelines.PdfPodcast;
using Kiln.Core.Tests.Pipelines.PdfPodcast;
using Kiln.Core.Tests.Support;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.Core.Tests.Ai;

/// <summary>The OpenAI-compatible provider (Microsoft.Extensions.AI.OpenAI) as pipelines use it.</summary>
public sealed class OpenAiProviderTests
{
    [Fact]
    public async Task Sends_messages_and_options_and_returns_the_reply()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        using var services = Services.Build(new Dictionary<string, string?>
        {
            ["Kiln:Ai:Provider"] = "openai", ["Kiln:Ai:BaseUrl"] = server.BaseUrl, ["Kiln:Ai:Model"] = "test-model", ["Kiln:Ai:ApiKey"] = "sk-test",
        });
        var client = services.GetRequiredService<IChatClient>();

        var response = await client.GetResponseAsync(
            [new ChatMessage(ChatRole.System, "sys"), new ChatMessage(ChatRole.User, "hello")],
            new ChatOptions { Temperature = 0.5f, MaxOutputTokens = 100 }, TestContext.Current.CancellationToken);

        response.Text.ShouldBe("Ada: Hello there.\nBen: Hi!");
        response.Usage!.TotalTokenCount.ShouldBe(15);
        server.Requests.TryDequeue(out var request).ShouldBeTrue();
        request.GetProperty("model").GetString().ShouldBe("test-model");
        request.GetProperty("messages")[0].GetProperty("role").GetString().ShouldBe("system");
        request.GetProperty("messages")[1].GetProperty("role").GetString().ShouldBe("user");
        request.GetProperty("temperature").GetDouble().ShouldBe(0.5, 0.001);
        request.GetProperty("max_completion_tokens").GetInt32().ShouldBe(100);
        server.RequestHeaders.First()["Authorization"].ToString().ShouldBe("Bearer sk-test");
        client.GetService<ChatClientMetadata>()!.DefaultModelId.ShouldBe("test-model");
        client.GetService<ChatClientMetadata>()!.ProviderName.ShouldBe("openai");
    }

    [Fact]
    public async Task The_pipeline_uses_the_configured_openai_engine()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        server.Reply = body => "**Ada:** The kiln is hot.\nBen: And the glaze melts\ninto glass.\nNarrator: ignored speaker line";
        using var services = Services.Build(new Dictionary<string, string?>
        {
            ["Kiln:Ai:Provider"] = "openai", ["Kiln:Ai:BaseUrl"] = server.BaseUrl, ["Kiln:Ai:Model"] = "m",
        });
        services.GetRequiredService<IAiProviders>().DefaultProvider.ShouldBe("openai");
        services.GetRequiredService<IChatClient>().GetService<ResilientChatClient>().ShouldNotBeNull();
        using var dir = new TempDir();
        var pdf = TestPdf.Write(dir.File("h.pdf"), PdfPodcastPipelineTests.HandbookPages());
        var pipeline = services.GetRequiredService<PipelineCatalog>().Find(PdfPodcastPipeline.PipelineId)!;

        await PipelineHost.RunAsync(pipeline, PipelineTesting.Context(pipeline, services, """{"hosts":["Ada","Ben"]}""", dir.File("scratch"),
            new RecordingReporter(), new CopyingArtifactSink(dir.File("out")), PipelineTesting.PdfInput(pdf, 4)), TestContext.Current.CancellationToken);

        server.Requests.Count.ShouldBe(2);
        server.Requests.First().GetProperty("messages")[1].GetProperty("content").GetString()!.ShouldContain("insulated chamber");
        // The engine hints (ChatHints) stay in-process: the endpoint sees only the documented request fields.
        server.Requests.First().EnumerateObject().Select(p => p.Name).ShouldBeSubsetOf(["model", "messages", "temperature", "stream", "max_completion_tokens", "top_p"]);
        var script = PodcastScript.FromJson(await File.ReadAllTextAsync(dir.File("out/script.json"), TestContext.Current.CancellationToken))!;
        script.Chapters[0].Turns.Skip(2).Take(2).Select(t => t with { Pages = null }).ShouldBe(
            [new ScriptTurn("Ada", "The kiln is hot."), new ScriptTurn("Ben", "And the glaze melts into glass. Narrator: ignored speaker line")]);
    }

    [Theory]
    [InlineData(400, "provider_rejected", false)]
    [InlineData(401, "provider_rejected", false)]
    [InlineData(503, "provider_unavailable", true)]
    public async Task Endpoint_failures_are_permanent_or_transient_by_their_status(int status, string code, bool transient)
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        server.StatusCode = status;
        using var services = Services.Build(new Dictionary<string, string?> { ["Kiln:Ai:Provider"] = "openai", ["Kiln:Ai:BaseUrl"] = server.BaseUrl });
        using var dir = new TempDir();
        var pdf = TestPdf.Write(dir.File("h.pdf"), ["Some text for a chapter that is long enough to matter."]);
        var pipeline = services.GetRequiredService<PipelineCatalog>().Find(PdfPodcastPipeline.PipelineId)!;
        var ex = await Should.ThrowAsync<PipelineException>(() => PipelineHost.RunAsync(pipeline, PipelineTesting.Context(pipeline, services, null, dir.File("scratch"),
            new RecordingReporter(), new CopyingArtifactSink(dir.File("out")), PipelineTesting.PdfInput(pdf, 1)), TestContext.Current.CancellationToken));
        ex.Code.ShouldBe(code);
        ex.Transient.ShouldBe(transient);
    }

    [Fact]
    public async Task Openai_speech_writes_the_returned_audio()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        server.Speech = [82, 73, 70, 70, 9, 9];
        var synth = new OpenAiSpeechSynthesizer(new OpenAiTtsOptions { BaseUrl = server.BaseUrl, Voices = ["v1", "v2"] });
        using var dir = new TempDir();
        await synth.SynthesizeAsync("Hello", 1, dir.File("a.wav"), TestContext.Current.CancellationToken);
        (await File.ReadAllBytesAsync(dir.File("a.wav"), TestContext.Current.CancellationToken)).ShouldBe(server.Speech);
        server.Requests.TryDequeue(out var request).ShouldBeTrue();
        request.GetProperty("voice").GetString().ShouldBe("v2");
        request.GetProperty("input").GetString().ShouldBe("Hello");
    }

    [Fact]
    public void Defaults_to_the_offline_engines()
    {
        using var services = Services.Build();
        services.GetRequiredService<IChatClient>().ShouldBeOfType<ExtractiveChatClient>();
        services.GetRequiredService<ISpeechSynthesizer>().ShouldBeOfType<EspeakSpeechSynthesizer>();
        using var configured = Services.Build(new Dictionary<string, string?> { ["Kiln:Media:TtsProvider"] = "openai" });
        configured.GetRequiredService<ISpeechSynthesizer>().ShouldBeOfType<OpenAiSpeechSynthesizer>();
    }
}
