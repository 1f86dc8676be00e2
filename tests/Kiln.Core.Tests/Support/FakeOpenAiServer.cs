using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kiln.Core.Tests.Support;

/// <summary>
/// A local OpenAI-compatible endpoint (<c>/v1/chat/completions</c>, <c>/v1/audio/speech</c>) so the real SDK
/// adapters are exercised over HTTP without the internet.
/// </summary>
public sealed class FakeOpenAiServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    public ConcurrentQueue<JsonElement> Requests { get; } = new();
    public Func<JsonElement, string> Reply { get; set; } = _ => "Ada: Hello there.\nBen: Hi!";
    public byte[] Speech { get; set; } = [1, 2, 3, 4];
    public int StatusCode { get; set; } = 200;

    private FakeOpenAiServer()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapPost("/v1/chat/completions", async (HttpContext http) =>
        {
            var body = await JsonSerializer.DeserializeAsync<JsonElement>(http.Request.Body);
            Requests.Enqueue(body);
            if (StatusCode != 200) return Results.StatusCode(StatusCode);
            return Results.Json(new
            {
                id = "chatcmpl-1", @object = "chat.completion", created = 1, model = body.GetProperty("model").GetString(),
                choices = new[] { new { index = 0, message = new { role = "assistant", content = Reply(body) }, finish_reason = "stop" } },
                usage = new { prompt_tokens = 10, completion_tokens = 5, total_tokens = 15 },
            });
        });
        _app.MapPost("/v1/audio/speech", async (HttpContext http) =>
        {
            Requests.Enqueue(await JsonSerializer.DeserializeAsync<JsonElement>(http.Request.Body));
            return StatusCode != 200 ? Results.StatusCode(StatusCode) : Results.Bytes(Speech, "audio/wav");
        });
    }

    public string BaseUrl => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/v1";

    public static async Task<FakeOpenAiServer> StartAsync()
    {
        var server = new FakeOpenAiServer();
        await server._app.StartAsync();
        return server;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
