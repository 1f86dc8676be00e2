using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kiln.Core.Tests.Media.Speech;

/// <summary>What a fake speech service saw: query, headers, form fields (repeated ones kept), files and the raw body.</summary>
public sealed record SpeechRequest(
    string Path, IQueryCollection Query, IHeaderDictionary Headers, string? ContentType,
    IReadOnlyDictionary<string, string[]> Fields, IReadOnlyList<(string Name, string FileName, string? ContentType, byte[] Bytes)> Files, byte[] Body);

/// <summary>A real HTTP server on 127.0.0.1 (random port) standing in for a speech API; <see cref="Respond"/> gives each answer.</summary>
public sealed class FakeSpeechServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _count;
    public ConcurrentQueue<SpeechRequest> Requests { get; } = new();
    public Func<SpeechRequest, int, (int Status, string Json)> Respond { get; set; } = (_, _) => (404, "{}");

    private FakeSpeechServer(WebApplication app) => _app = app;

    public string BaseUrl => _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    public static async Task<FakeSpeechServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new FakeSpeechServer(app);
        app.Run(async ctx =>
        {
            var fields = new Dictionary<string, string[]>();
            var files = new List<(string, string, string?, byte[])>();
            byte[] body = [];
            if (ctx.Request.HasFormContentType)
            {
                var form = await ctx.Request.ReadFormAsync();
                foreach (var f in form) fields[f.Key] = f.Value.ToArray()!;
                foreach (var file in form.Files)
                {
                    using var ms = new MemoryStream();
                    await file.CopyToAsync(ms);
                    files.Add((file.Name, file.FileName, file.ContentType, ms.ToArray()));
                }
            }
            else
            {
                using var ms = new MemoryStream();
                await ctx.Request.Body.CopyToAsync(ms);
                body = ms.ToArray();
            }
            // Copies: Kestrel reuses the request's collections once the response is written.
            var request = new SpeechRequest(ctx.Request.Path,
                new QueryCollection(ctx.Request.Query.ToDictionary(q => q.Key, q => q.Value)),
                new HeaderDictionary(ctx.Request.Headers.ToDictionary(h => h.Key, h => h.Value, StringComparer.OrdinalIgnoreCase)),
                ctx.Request.ContentType, fields, files, body);
            server.Requests.Enqueue(request);
            var (status, json) = server.Respond(request, Interlocked.Increment(ref server._count));
            ctx.Response.StatusCode = status;
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync(json);
        });
        await app.StartAsync();
        return server;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
