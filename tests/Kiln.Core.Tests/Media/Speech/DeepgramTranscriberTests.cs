using System.Net;
using Kiln.Core.Media.Speech;
using Kiln.Core.Tests.Support;

namespace Kiln.Core.Tests.Media.Speech;

/// <summary>Deepgram's pre-recorded <c>/v1/listen</c> faked with its documented response (metadata, channels, utterances).</summary>
public sealed class DeepgramTranscriberTests
{
    private const string Response = """
        {"metadata":{"transaction_key":"deprecated","request_id":"5a7b-req","sha256":"abc","created":"2026-12-05T23:00:00.000Z",
                     "duration":7.25,"channels":1,"models":["30089e05-model"],
                     "model_info":{"30089e05-model":{"name":"general-nova-3","version":"2024-12-20.0","arch":"nova-3"}}},
         "results":{
           "channels":[{"alternatives":[{"transcript":"hello there how are you","confidence":0.99,
                          "words":[{"word":"hello","start":0.08,"end":0.4,"confidence":0.99,"punctuated_word":"Hello"}]}],
                        "detected_language":"es","language_confidence":0.93}],
           "utterances":[
             {"start":3.1,"end":4.9,"confidence":0.95,"channel":0,"transcript":"How are you?","speaker":1,"id":"u2",
              "words":[{"word":"how","start":3.1,"end":3.4,"confidence":0.98,"punctuated_word":"How","speaker":1},
                       {"word":"are","start":3.4,"end":3.6,"confidence":0.97,"punctuated_word":"are","speaker":1},
                       {"word":"you","start":3.6,"end":4.9,"confidence":0.9,"punctuated_word":"you?","speaker":1}]},
             {"start":0.08,"end":1.2,"confidence":0.99,"channel":0,"transcript":"Hello there.","speaker":0,"id":"u1",
              "words":[{"word":"hello","start":0.08,"end":0.4,"confidence":0.99,"punctuated_word":"Hello","speaker":0},
                       {"word":"there","start":0.4,"end":1.2,"confidence":0.97,"punctuated_word":"there.","speaker":0}]}]}}
        """;

    private static DeepgramTranscriber Transcriber(FakeSpeechServer server, SpeechEngineOptions? options = null)
    {
        options ??= new SpeechEngineOptions();
        options.BaseUrl = server.BaseUrl;
        options.ApiKey = "dg-key";
        return new DeepgramTranscriber(new HttpClient(), options);
    }

    [Fact]
    public async Task Sends_the_audio_with_token_auth_and_reads_utterances_as_segments()
    {
        await using var server = await FakeSpeechServer.StartAsync();
        server.Respond = (_, _) => (200, Response);
        using var dir = new TempDir();
        var audio = TestFiles.Wav(1);
        File.WriteAllBytes(dir.File("a.wav"), audio);

        var transcript = await Transcriber(server, new SpeechEngineOptions { Diarize = true }).TranscribeAsync(dir.File("a.wav"), null, TestContext.Current.CancellationToken);

        var request = server.Requests.ShouldHaveSingleItem();
        request.Path.ShouldBe("/v1/listen");
        request.Query["model"].ToString().ShouldBe("nova-3");
        request.Query["punctuate"].ToString().ShouldBe("true");
        request.Query["utterances"].ToString().ShouldBe("true");
        request.Query["detect_language"].ToString().ShouldBe("true");
        request.Query["diarize"].ToString().ShouldBe("true");
        request.Query.ContainsKey("language").ShouldBeFalse();
        request.Headers.Authorization.ToString().ShouldBe("Token dg-key");
        request.ContentType.ShouldBe("audio/wav");
        request.Body.ShouldBe(audio);

        transcript.Engine.ShouldBe("deepgram");
        transcript.Language.ShouldBe("es");
        transcript.DurationSeconds.ShouldBe(7.25);
        transcript.Segments.Select(s => (s.Start, s.End, s.Text, s.Speaker)).ShouldBe(
            [(0.08, 1.2, "Hello there.", "Speaker 1"), (3.1, 4.9, "How are you?", "Speaker 2")]);
        transcript.Segments[1].Words.Select(w => w.Text).ShouldBe(["How", "are", "you?"]);
        transcript.Segments[1].Words[^1].Confidence.ShouldBe(0.9);
    }

    [Fact]
    public async Task A_language_is_asked_for_instead_of_detected()
    {
        await using var server = await FakeSpeechServer.StartAsync();
        server.Respond = (_, _) => (200, Response);
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("a.mp3"), [0xFF, 0xFB, 0x90, 0x00]);

        var transcript = await Transcriber(server, new SpeechEngineOptions { Model = "nova-2" }).TranscribeAsync(dir.File("a.mp3"), "fr", TestContext.Current.CancellationToken);

        var request = server.Requests.ShouldHaveSingleItem();
        request.Query["language"].ToString().ShouldBe("fr");
        request.Query["model"].ToString().ShouldBe("nova-2");
        request.Query.ContainsKey("detect_language").ShouldBeFalse();
        request.Query.ContainsKey("diarize").ShouldBeFalse();
        request.ContentType.ShouldBe("audio/mpeg");
        transcript.Language.ShouldBe("fr");
        transcript.Segments.ShouldAllBe(s => s.Speaker == "Speaker 1" || s.Speaker == "Speaker 2");
    }

    [Theory]
    [InlineData(429)]
    [InlineData(503)]
    public async Task Refusals_surface_as_HttpRequestException_with_the_status(int status)
    {
        await using var server = await FakeSpeechServer.StartAsync();
        server.Respond = (_, _) => (status, """{"err_code":"TOO_MANY_REQUESTS","err_msg":"Too many requests.","request_id":"r1"}""");
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("a.wav"), TestFiles.Wav(1));

        var error = await Should.ThrowAsync<HttpRequestException>(() => Transcriber(server).TranscribeAsync(dir.File("a.wav"), "en", TestContext.Current.CancellationToken));
        error.StatusCode.ShouldBe((HttpStatusCode)status);
    }

    [Fact]
    public async Task No_utterances_is_no_speech()
    {
        await using var server = await FakeSpeechServer.StartAsync();
        server.Respond = (_, _) => (200, """{"metadata":{"duration":2.0},"results":{"channels":[{"alternatives":[{"transcript":"","confidence":0,"words":[]}]}],"utterances":[]}}""");
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("a.wav"), TestFiles.Wav(1));

        await Should.ThrowAsync<NoSpeechFoundException>(() => Transcriber(server).TranscribeAsync(dir.File("a.wav"), "en", TestContext.Current.CancellationToken));
    }
}
