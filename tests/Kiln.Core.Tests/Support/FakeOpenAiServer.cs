using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kiln.Core.Tests.Support;

/// <summary>
/// A failure a fake provider answers one request with: a status, an optional Retry-After (as given, or as an HTTP
/// date <paramref name="RetryAfterDateIn"/> after the request arrived), or a long pause.
/// </summary>
public sealed record FakeFailure(int Status, string? RetryAfter = null, TimeSpan Delay = default, TimeSpan? RetryAfterDateIn = null)
{
    /// <summary>The Retry-After header for a request that arrived now; <paramref name="date"/> is the date sent, if one.</summary>
    public string? RetryAfterHeader(out DateTimeOffset? date)
    {
        date = null;
        if (RetryAfterDateIn is not { } offset) return RetryAfter;
        var at = DateTimeOffset.UtcNow + offset;
        date = at.AddTicks(-(at.Ticks % TimeSpan.TicksPerSecond)); // an HTTP date has whole seconds
        return date.Value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>
/// A local OpenAI-compatible endpoint (<c>/v1/chat/completions</c>, <c>/v1/audio/speech</c>) so the real SDK
/// adapters are exercised over HTTP without the internet. Answers with the documented chat completion object and,
/// for scripted <see cref="Failures"/>, the documented error body (<c>{"error":{"message","type","param","code"}}</c>).
/// </summary>
public sealed class FakeOpenAiServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    public ConcurrentQueue<JsonElement> Requests { get; } = new();
    /// <summary>When each chat request arrived, in order.</summary>
    public ConcurrentQueue<DateTimeOffset> RequestTimes { get; } = new();
    public ConcurrentQueue<IHeaderDictionary> RequestHeaders { get; } = new();
    public Func<JsonElement, string> Reply { get; set; } = _ => "Ada: Hello there.\nBen: Hi!";
    public byte[] Speech { get; set; } = [1, 2, 3, 4];
    /// <summary>Every request fails with this status when not 200.</summary>
    public int StatusCode { get; set; } = 200;
    /// <summary>One failure per request, taken in order before answering normally.</summary>
    public ConcurrentQueue<FakeFailure> Failures { get; } = new();

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
            RequestTimes.Enqueue(DateTimeOffset.UtcNow);
            RequestHeaders.Enqueue(new HeaderDictionary(http.Request.Headers.ToDictionary(h => h.Key, h => h.Value)));
            var failure = Failures.TryDequeue(out var f) ? f : StatusCode != 200 ? new FakeFailure(StatusCode) : null;
            if (failure is not null)
            {
                if (failure.Delay > TimeSpan.Zero) await Task.Delay(failure.Delay, http.RequestAborted);
                if (failure.Status != 200) return Error(http, failure);
            }
            return Results.Json(new
            {
                id = "chatcmpl-1", @object = "chat.completion", created = 1, model = body.GetProperty("model").GetString(),
                choices = new[] { new { index = 0, message = new { role = "assistant", content = Reply(body), refusal = (string?)null }, logprobs = (object?)null, finish_reason = "stop" } },
                usage = new { prompt_tokens = 10, completion_tokens = 5, total_tokens = 15 },
            });
        });
        _app.MapPost("/v1/audio/speech", async (HttpContext http) =>
        {
            Requests.Enqueue(await JsonSerializer.DeserializeAsync<JsonElement>(http.Request.Body));
            return StatusCode != 200 ? Results.StatusCode(StatusCode) : Results.Bytes(Speech, "audio/wav");
        });
    }

    /// <summary>The last Retry-After date sent.</summary>
    public DateTimeOffset? LastRetryAfterDate { get; private set; }

    private IResult Error(HttpContext http, FakeFailure failure)
    {
        if (failure.RetryAfterHeader(out var date) is { } retryAfter) http.Response.Headers.RetryAfter = retryAfter;
        if (date is not null) LastRetryAfterDate = date;
        var (type, code, message) = failure.Status switch
        {
            429 => ("requests", "rate_limit_exceeded", "Rate limit reached for requests."),
            >= 500 => ("server_error", (string?)null, "The server had an error while processing your request."),
            401 => ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
            _ => ("invalid_request_error", (string?)null, "Invalid request."),
        };
        return Results.Json(new { error = new { message, type, param = (string?)null, code } }, statusCode: failure.Status);
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
