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
/// A local Anthropic Messages API (<c>POST /v1/messages</c>) answering with the documented message object
/// (<c>type: message</c>, text content blocks, <c>stop_reason</c>, <c>usage.input_tokens/output_tokens</c>) and, for
/// scripted <see cref="Failures"/>, the documented error body (<c>{"type":"error","error":{"type","message"}}</c>)
/// with a <c>request-id</c> header.
/// </summary>
public sealed class FakeAnthropicServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    public ConcurrentQueue<JsonElement> Requests { get; } = new();
    public ConcurrentQueue<DateTimeOffset> RequestTimes { get; } = new();
    public ConcurrentQueue<IHeaderDictionary> RequestHeaders { get; } = new();
    public Func<JsonElement, string> Reply { get; set; } = _ => "Ada: Hello from Claude.\nBen: Hi!";
    public ConcurrentQueue<FakeFailure> Failures { get; } = new();

    private FakeAnthropicServer()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapPost("/v1/messages", async (HttpContext http) =>
        {
            var body = await JsonSerializer.DeserializeAsync<JsonElement>(http.Request.Body);
            Requests.Enqueue(body);
            RequestTimes.Enqueue(DateTimeOffset.UtcNow);
            RequestHeaders.Enqueue(new HeaderDictionary(http.Request.Headers.ToDictionary(h => h.Key, h => h.Value)));
            http.Response.Headers["request-id"] = $"req_{Requests.Count:000}";
            if (Failures.TryDequeue(out var failure))
            {
                if (failure.Delay > TimeSpan.Zero) await Task.Delay(failure.Delay, http.RequestAborted);
                if (failure.Status != 200) return Error(http, failure);
            }
            return Results.Json(new
            {
                id = "msg_01XFDUDYJgAACzvnptvVoYEL", type = "message", role = "assistant", model = body.GetProperty("model").GetString(),
                content = new[] { new { type = "text", text = Reply(body) } },
                stop_reason = "end_turn", stop_sequence = (string?)null,
                usage = new { input_tokens = 12, output_tokens = 6 },
            });
        });
    }

    /// <summary>The last Retry-After date sent.</summary>
    public DateTimeOffset? LastRetryAfterDate { get; private set; }

    private IResult Error(HttpContext http, FakeFailure failure)
    {
        if (failure.RetryAfterHeader(out var date) is { } retryAfter) http.Response.Headers.RetryAfter = retryAfter;
        if (date is not null) LastRetryAfterDate = date;
        var (type, message) = failure.Status switch
        {
            400 => ("invalid_request_error", "messages: at least one message is required"),
            401 => ("authentication_error", "invalid x-api-key"),
            429 => ("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"),
            529 => ("overloaded_error", "Overloaded"),
            _ => ("api_error", "Internal server error"),
        };
        return Results.Json(new { type = "error", error = new { type, message } }, statusCode: failure.Status);
    }

    public string BaseUrl => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    public static async Task<FakeAnthropicServer> StartAsync()
    {
        var server = new FakeAnthropicServer();
        await server._app.StartAsync();
        return server;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
