using System.Net;
using Kiln.Core.Media;
using Kiln.Core.Media.Speech;
using Kiln.Core.Tests.Support;

namespace Kiln.Core.Tests.Media.Speech;

/// <summary>An OpenAI-compatible <c>/audio/transcriptions</c> server answering with the documented verbose_json.</summary>
public sealed class OpenAiTranscriberTests
{
    // The documented verbose_json shape (segments with their decoding fields, top-level words), language as a name.
    private const string VerboseJson = """
        {"task":"transcribe","language":"english","duration":8.47,
         "text":"The beach was a popular spot. People were swimming.",
         "segments":[
           {"id":0,"seek":0,"start":0.0,"end":3.32,"text":" The beach was a popular spot.","tokens":[50364,440],"temperature":0.0,"avg_logprob":-0.28,"compression_ratio":1.23,"no_speech_prob":0.009},
           {"id":1,"seek":0,"start":3.9,"end":6.1,"text":" People were swimming.","tokens":[50530],"temperature":0.0,"avg_logprob":-0.28,"compression_ratio":1.23,"no_speech_prob":0.009}],
         "words":[
           {"word":"The","start":0.0,"end":0.24},{"word":"beach","start":0.24,"end":0.6},{"word":"was","start":0.6,"end":0.9},
           {"word":"a","start":0.9,"end":1.0},{"word":"popular","start":1.0,"end":1.6},{"word":"spot","start":1.6,"end":3.3},
           {"word":"People","start":3.9,"end":4.4},{"word":"were","start":4.4,"end":4.8},{"word":"swimming","start":4.8,"end":6.1}]}
        """;

    private static OpenAiTranscriber Transcriber(FakeSpeechServer server, SpeechEngineOptions? options = null)
    {
        options ??= new SpeechEngineOptions();
        options.BaseUrl = server.BaseUrl + "/v1";
        options.ApiKey ??= "sk-test";
        return new OpenAiTranscriber(new HttpClient(), new ProcessRunner(), options, "whisper-local");
    }

    [Fact]
    public async Task Sends_the_documented_multipart_request_and_reads_segments_and_words()
    {
        await using var server = await FakeSpeechServer.StartAsync();
        server.Respond = (_, _) => (200, VerboseJson);
        var audio = TestFiles.Wav(1);
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("talk.wav"), audio);

        var transcript = await Transcriber(server, new SpeechEngineOptions { Model = "whisper-large-v3" })
            .TranscribeAsync(dir.File("talk.wav"), "en", TestContext.Current.CancellationToken);

        var request = server.Requests.ShouldHaveSingleItem();
        request.Path.ShouldBe("/v1/audio/transcriptions");
        request.Headers.Authorization.ToString().ShouldBe("Bearer sk-test");
        request.ContentType!.ShouldStartWith("multipart/form-data");
        request.Fields["model"].ShouldBe(["whisper-large-v3"]);
        request.Fields["response_format"].ShouldBe(["verbose_json"]);
        request.Fields["timestamp_granularities[]"].ShouldBe(["segment", "word"]);
        request.Fields["language"].ShouldBe(["en"]);
        var file = request.Files.ShouldHaveSingleItem();
        (file.Name, file.FileName, file.ContentType).ShouldBe(("file", "talk.wav", "audio/wav"));
        file.Bytes.ShouldBe(audio);

        transcript.Engine.ShouldBe("whisper-local");
        transcript.Language.ShouldBe("en");
        transcript.DurationSeconds.ShouldBe(8.47);
        transcript.Segments.Select(s => (s.Start, s.End, s.Text)).ShouldBe([(0, 3.32, "The beach was a popular spot."), (3.9, 6.1, "People were swimming.")]);
        transcript.Segments[0].Words.Select(w => w.Text).ShouldBe(["The", "beach", "was", "a", "popular", "spot"]);
        transcript.Segments[1].Words[^1].ShouldBe(new TranscriptWord(4.8, 6.1, "swimming"));
    }

    [Fact]
    public async Task Without_a_language_the_service_detects_it_and_the_name_becomes_a_code()
    {
        await using var server = await FakeSpeechServer.StartAsync();
        server.Respond = (_, _) => (200, VerboseJson.Replace("\"english\"", "\"german\"", StringComparison.Ordinal));
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("a.wav"), TestFiles.Wav(1));

        var transcript = await Transcriber(server, new SpeechEngineOptions { ApiKey = "" }).TranscribeAsync(dir.File("a.wav"), null, TestContext.Current.CancellationToken);

        var request = server.Requests.ShouldHaveSingleItem();
        request.Fields.ContainsKey("language").ShouldBeFalse();
        request.Fields["model"].ShouldBe(["whisper-1"]);
        transcript.Language.ShouldBe("de");
    }

    [Fact]
    public async Task Files_over_the_upload_limit_are_sent_as_mp3_pieces_with_their_times_offset()
    {
        await using var server = await FakeSpeechServer.StartAsync();
        server.Respond = (_, n) => (200, $$"""
            {"task":"transcribe","language":"english","duration":5.0,"text":"piece {{n}}",
             "segments":[{"id":0,"start":0.5,"end":2.0,"text":" piece {{n}}"}],
             "words":[{"word":"piece","start":0.5,"end":1.0},{"word":"{{n}}","start":1.0,"end":2.0}]}
            """);
        // ≈20 s of 16 kHz WAV is 640 kB; with a 100 kB limit it must become MP3 pieces of at most ≈11 s each.
        var audio = TestSpeech.Wav([.. TestSpeech.Sentences, .. TestSpeech.Sentences], pauseSeconds: 0.6);
        var transcript = await Transcriber(server, new SpeechEngineOptions { MaxUploadBytes = 100_000 })
            .TranscribeAsync(audio, null, TestContext.Current.CancellationToken);

        var requests = server.Requests.ToList();
        requests.Count.ShouldBeGreaterThanOrEqualTo(2);
        requests.ShouldAllBe(r => r.Files.Count == 1 && r.Files[0].ContentType == "audio/mpeg" && r.Files[0].FileName.EndsWith(".mp3") && r.Files[0].Bytes.Length <= 100_000);
        transcript.Segments.Count.ShouldBe(requests.Count);
        transcript.Segments[0].Start.ShouldBe(0.5);
        transcript.Segments[1].Start.ShouldBeGreaterThan(5);
        transcript.Segments[1].Words[0].Start.ShouldBe(transcript.Segments[1].Start);
        transcript.DurationSeconds.ShouldBeGreaterThan(15);
        transcript.Language.ShouldBe("en");
    }

    [Theory]
    [InlineData(429)]
    [InlineData(503)]
    public async Task Refusals_surface_as_HttpRequestException_with_the_status(int status)
    {
        await using var server = await FakeSpeechServer.StartAsync();
        server.Respond = (_, _) => (status, """{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}""");
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("a.wav"), TestFiles.Wav(1));

        var error = await Should.ThrowAsync<HttpRequestException>(() => Transcriber(server).TranscribeAsync(dir.File("a.wav"), null, TestContext.Current.CancellationToken));
        error.StatusCode.ShouldBe((HttpStatusCode)status);
    }

    [Fact]
    public async Task An_answer_without_segments_is_no_speech()
    {
        await using var server = await FakeSpeechServer.StartAsync();
        server.Respond = (_, _) => (200, """{"task":"transcribe","language":"english","duration":3.0,"text":"","segments":[],"words":[]}""");
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("a.wav"), TestFiles.Wav(1));

        await Should.ThrowAsync<NoSpeechFoundException>(() => Transcriber(server).TranscribeAsync(dir.File("a.wav"), null, TestContext.Current.CancellationToken));
    }
}
