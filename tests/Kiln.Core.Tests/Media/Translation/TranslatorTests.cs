using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Kiln.Core.Media;
using Kiln.Core.Media.Translation;
using Kiln.Core.Pipelines;
using Kiln.Core.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kiln.Core.Tests.Media.Translation;

public sealed class TranslatorTests
{
    [Fact]
    public void Apertium_modes_map_to_iso_639_1_pairs_and_variants_are_left_out()
    {
        var modes = ApertiumTranslator.ParseModes("  cat-eng\n  eco-es-fr\n  en-gl\n  eng-cat\n  eng-cat_valencia\n  eng-spa\n  fr-es\n  spa-eng_US\n");
        modes.Keys.Order().ShouldBe([("ca", "en"), ("en", "ca"), ("en", "es"), ("en", "gl"), ("fr", "es")]);
        modes[("en", "es")].ShouldBe("eng-spa");
        modes[("en", "gl")].ShouldBe("en-gl");
    }

    [Fact]
    public async Task Apertium_translates_many_segments_in_one_call_keeping_their_boundaries_and_the_glossary()
    {
        var ct = TestContext.Current.CancellationToken;
        var apertium = new ApertiumTranslator(new ProcessRunner());
        apertium.Supports("en", "es").ShouldBeTrue();
        apertium.Supports("en", "ja").ShouldBeFalse();
        var glossary = new Glossary(["Kiln Studio", "weather"]);
        var result = await glossary.TranslateAsync(apertium, ["Welcome to Kiln Studio.", "", "Today we talk about the weather.\nThank you."], "en", "es", ct);
        result.Count.ShouldBe(3);
        result[0].ShouldBe("Bienvenido a Kiln Studio.");
        result[1].ShouldBe("");
        result[2].ShouldContain("weather");
        result[2].ShouldContain("Gracias");
    }

    [Fact]
    public async Task Deepl_sends_the_documented_request_and_reads_one_translation_per_text()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeDeepLServer.StartAsync();
        var deepl = new DeepLTranslator(new HttpClient(), new DeepLOptions { BaseUrl = server.BaseUrl, ApiKey = "key:fx" });
        var result = await deepl.TranslateAsync(["Hello.", "Good bye."], "en", "es", ct);
        result.ShouldBe(["[ES] Hello.", "[ES] Good bye."]);
        var (auth, body) = server.Requests.Single();
        auth.ShouldBe("DeepL-Auth-Key key:fx");
        body.GetProperty("text").EnumerateArray().Select(t => t.GetString()).ShouldBe(["Hello.", "Good bye."]);
        body.GetProperty("source_lang").GetString().ShouldBe("EN");
        body.GetProperty("target_lang").GetString().ShouldBe("ES");
        deepl.Supports("en", "ja").ShouldBeTrue();
        deepl.Supports("en", "ca").ShouldBeFalse();
    }

    [Theory]
    [InlineData(429, "provider_busy", true)]
    [InlineData(503, "provider_unavailable", true)]
    [InlineData(456, "provider_rejected", false)] // DeepL: quota exceeded
    [InlineData(403, "provider_rejected", false)]
    public async Task Deepl_failures_are_classified_by_their_status(int status, string code, bool transient)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeDeepLServer.StartAsync();
        server.Status = status;
        var deepl = new DeepLTranslator(new HttpClient(), new DeepLOptions { BaseUrl = server.BaseUrl, ApiKey = "k" });
        var ex = await Should.ThrowAsync<HttpRequestException>(() => deepl.TranslateAsync(["Hello."], "en", "de", ct));
        var mapped = PipelineHost.Classify(ex)!;
        mapped.Code.ShouldBe(code);
        mapped.Transient.ShouldBe(transient);
    }

    [Fact]
    public async Task An_openai_compatible_chat_model_translates_segments_as_a_json_array()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeOpenAiServer.StartAsync();
        server.Reply = body =>
        {
            var segments = JsonSerializer.Deserialize<string[]>(body.GetProperty("messages")[1].GetProperty("content").GetString()!)!;
            return JsonSerializer.Serialize(new { translations = segments.Select(s => "(ja) " + s) });
        };
        var chat = new OpenAiChatTranslator(new HttpClient(), new OpenAiTranslationOptions { BaseUrl = server.BaseUrl, ApiKey = "sk-test", Model = "small" });
        var result = await new Glossary(["Kiln"]).TranslateAsync(chat, ["Kiln is here.", "Thanks."], "en", "ja", ct);
        result.ShouldBe(["(ja) Kiln is here.", "(ja) Thanks."]);
        var request = server.Requests.Single();
        request.GetProperty("model").GetString().ShouldBe("small");
        request.GetProperty("response_format").GetProperty("type").GetString().ShouldBe("json_object");
        request.GetProperty("messages")[0].GetProperty("content").GetString()!.ShouldContain("English (en) to Japanese (ja)");
        // The glossary term travelled as a placeholder.
        request.GetProperty("messages")[1].GetProperty("content").GetString()!.ShouldContain("Zq0q");
        server.RequestHeaders.Single()["Authorization"].ToString().ShouldBe("Bearer sk-test");
    }

    [Fact]
    public async Task A_chat_answer_with_the_wrong_number_of_translations_is_a_retried_provider_failure()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await FakeOpenAiServer.StartAsync();
        server.Reply = _ => """{"translations":["only one"]}""";
        var chat = new OpenAiChatTranslator(new HttpClient(), new OpenAiTranslationOptions { BaseUrl = server.BaseUrl });
        var ex = await Should.ThrowAsync<HttpRequestException>(() => chat.TranslateAsync(["a", "b"], "en", "fr", ct));
        PipelineHost.Classify(ex)!.Transient.ShouldBeTrue();

        server.Reply = _ => "x";
        server.Failures.Enqueue(new FakeFailure(429, RetryAfter: "1"));
        var busy = await Should.ThrowAsync<HttpRequestException>(() => chat.TranslateAsync(["a"], "en", "fr", ct));
        PipelineHost.Classify(busy)!.Code.ShouldBe("provider_busy");
    }

    [Fact]
    public void Chat_answers_are_read_with_or_without_a_code_fence()
    {
        OpenAiChatTranslator.Parse("```json\n{\"translations\":[\"a\",\"b\"]}\n```").ShouldBe(["a", "b"]);
        OpenAiChatTranslator.Parse("[\"a\"]").ShouldBe(["a"]);
        OpenAiChatTranslator.Parse("not json").ShouldBeNull();
    }

    /// <summary>DeepL's <c>POST /v2/translate</c> as documented: the answer <c>{"translations":[{"detected_source_language","text"}]}</c>,
    /// errors as <c>{"message": …}</c> with the status (429 too many requests, 456 quota exceeded, 5xx).</summary>
    private sealed class FakeDeepLServer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        public ConcurrentQueue<(string Auth, JsonElement Body)> Requests { get; } = new();
        public int Status { get; set; } = 200;

        private FakeDeepLServer()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            _app = builder.Build();
            _app.MapPost("/v2/translate", async (HttpContext http) =>
            {
                var body = await JsonSerializer.DeserializeAsync<JsonElement>(http.Request.Body);
                Requests.Enqueue((http.Request.Headers.Authorization.ToString(), body));
                if (Status != 200) return Results.Json(new { message = Status == 456 ? "Quota exceeded" : "Too many requests" }, statusCode: Status);
                var target = body.GetProperty("target_lang").GetString();
                return Results.Json(new
                {
                    translations = body.GetProperty("text").EnumerateArray().Select(t => new { detected_source_language = "EN", text = $"[{target}] {t.GetString()}" }),
                });
            });
        }

        public string BaseUrl => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        public static async Task<FakeDeepLServer> StartAsync()
        {
            var server = new FakeDeepLServer();
            await server._app.StartAsync();
            return server;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }
}
