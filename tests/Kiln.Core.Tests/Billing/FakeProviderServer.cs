using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Kiln.Core.Tests.Billing;

public sealed record RecordedRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, string Body, string? ContentType)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;

    public Dictionary<string, string> Form() =>
        Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(Body).ToDictionary(k => k.Key, v => v.Value.ToString());
}

/// <summary>A real HTTP server on 127.0.0.1 with a random port that records requests and answers with canned bodies.</summary>
public sealed class FakeProviderServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();
    public Func<RecordedRequest, int, (int Status, string Body)> Respond { get; set; } = (_, _) => (404, "{}");
    private int _count;

    private FakeProviderServer(WebApplication app) => _app = app;

    public Uri BaseAddress => new(_app.Services.GetService(typeof(IServer)) is IServer s
        ? s.Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/" : throw new InvalidOperationException());

    public static async Task<FakeProviderServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeProviderServer(app);
        app.Run(async ctx =>
        {
            using var reader = new StreamReader(ctx.Request.Body);
            var body = await reader.ReadToEndAsync();
            var req = new RecordedRequest(ctx.Request.Method, ctx.Request.Path + ctx.Request.QueryString,
                ctx.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body, ctx.Request.ContentType);
            server.Requests.Enqueue(req);
            var (status, text) = server.Respond(req, Interlocked.Increment(ref server._count));
            ctx.Response.StatusCode = status;
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(text);
        });
        await app.StartAsync();
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
