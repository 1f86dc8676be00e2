using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Kiln.Core.Media;
using Kiln.Core.Pipelines;
using Kiln.Core.Pipelines.PdfAudiobook;
using Kiln.Core.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kiln.Core.Tests.Media;

/// <summary>ElevenLabs over HTTP against a local server answering as the documented API does: raw PCM for
/// <c>output_format=pcm_44100</c>, and its error statuses.</summary>
public sealed class ElevenLabsSpeechSynthesizerTests : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(string Path, string? Key, JsonElement Body)> _requests = new();
    private int _status = 200;

    public ElevenLabsSpeechSynthesizerTests()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapPost("/v1/text-to-speech/{voice}", async (HttpContext http, string voice) =>
        {
            var body = await JsonSerializer.DeserializeAsync<JsonElement>(http.Request.Body);
            _requests.Enqueue(($"{http.Request.Path}{http.Request.QueryString}", http.Request.Headers["xi-api-key"].FirstOrDefault(), body));
            if (_status != 200)
                return Results.Json(new { detail = new { status = "too_many_concurrent_requests", message = "Too many requests." } }, statusCode: _status);
            // Half a second of a 440 Hz tone, 16-bit little-endian mono at 44.1 kHz.
            var pcm = new byte[44100];
            for (var i = 0; i < pcm.Length / 2; i++) BitConverter.TryWriteBytes(pcm.AsSpan(i * 2, 2), (short)(8000 * Math.Sin(2 * Math.PI * 440 * i / 44100.0)));
            return Results.Bytes(pcm, "audio/pcm");
        });
    }

    private string BaseUrl => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    [Fact]
    public async Task Speaks_with_the_configured_voice_and_model_into_a_playable_wav()
    {
        await _app.StartAsync(TestContext.Current.CancellationToken);
        using var services = Services.Build(new Dictionary<string, string?>
        {
            ["Kiln:Media:TtsProvider"] = "elevenlabs", ["Kiln:Media:ElevenLabs:BaseUrl"] = BaseUrl, ["Kiln:Media:ElevenLabs:ApiKey"] = "sk-test",
            ["Kiln:Media:ElevenLabs:VoiceIds:0"] = "voiceA", ["Kiln:Media:ElevenLabs:VoiceIds:1"] = "voiceB",
        });
        var speech = services.GetRequiredService<ISpeechSynthesizer>().ShouldBeOfType<ElevenLabsSpeechSynthesizer>();
        using var dir = new TempDir();
        await speech.SynthesizeAsync("Hello from Kiln.", 1, dir.File("a.wav"), TestContext.Current.CancellationToken);

        _requests.Single().Path.ShouldBe("/v1/text-to-speech/voiceB?output_format=pcm_44100");
        _requests.Single().Key.ShouldBe("sk-test");
        _requests.Single().Body.GetProperty("text").GetString().ShouldBe("Hello from Kiln.");
        _requests.Single().Body.GetProperty("model_id").GetString().ShouldBe("eleven_multilingual_v2");
        var seconds = await new AudioTools(new ProcessRunner()).GetDurationSecondsAsync(dir.File("a.wav"), TestContext.Current.CancellationToken);
        seconds.ShouldBe(0.5, 0.01);

        // A paid voice puts its minutes on the audiobook's estimate.
        var catalog = services.GetRequiredService<PipelineCatalog>();
        var plan = catalog.Plan(catalog.Find(PdfAudiobookPipeline.PipelineId)!, default, new([PipelineTesting.Pdf(10)])).Value!;
        plan.Estimate.Lines.Select(l => l.Meter).ShouldBe(["page", "narrationMinute"]);
    }

    [Theory]
    [InlineData(429, true)]
    [InlineData(503, true)]
    [InlineData(401, false)]
    public async Task Failures_carry_their_status_so_the_host_retries_only_what_can_pass(int status, bool transient)
    {
        await _app.StartAsync(TestContext.Current.CancellationToken);
        _status = status;
        var speech = new ElevenLabsSpeechSynthesizer(new HttpClient(), new ElevenLabsOptions { BaseUrl = BaseUrl, ApiKey = "k" });
        using var dir = new TempDir();
        var ex = await Should.ThrowAsync<HttpRequestException>(() => speech.SynthesizeAsync("Hi.", 0, dir.File("b.wav"), TestContext.Current.CancellationToken));
        ex.StatusCode.ShouldBe((HttpStatusCode)status);
        PipelineHost.Classify(ex)!.Transient.ShouldBe(transient);
        File.Exists(dir.File("b.wav")).ShouldBeFalse();
    }
}
