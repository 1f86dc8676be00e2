using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Kiln.Core.Tests.Support;

/// <summary>
/// A tiny Kestrel server on a free loopback port with a handler per path, counting hits: the "somewhere on the web"
/// that URL imports fetch from. Unknown paths answer 404.
/// </summary>
public sealed class SourceServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _hits = new();

    private SourceServer(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }
    public string Url => $"http://127.0.0.1:{Port}";
    public int Hits(string path) => _hits.GetValueOrDefault(path);

    public static async Task<SourceServer> StartAsync(Func<int, Dictionary<string, Func<HttpContext, Task>>> routes)
    {
        var port = FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new SourceServer(app, port);
        var map = routes(port);
        app.Run(ctx =>
        {
            server._hits.AddOrUpdate(ctx.Request.Path.Value ?? "", 1, (_, n) => n + 1);
            if (map.TryGetValue(ctx.Request.Path.Value ?? "", out var handler)) return handler(ctx);
            ctx.Response.StatusCode = 404;
            return Task.CompletedTask;
        });
        await app.StartAsync();
        return server;
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
