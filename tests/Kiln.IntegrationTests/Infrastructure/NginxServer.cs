using System.Diagnostics;
using System.Net.Sockets;

namespace Kiln.IntegrationTests.Infrastructure;

/// <summary>
/// Debian's nginx with a generated main configuration (one worker, daemon off, everything under a temp prefix) that
/// includes the given site configuration — in the tests, <c>deploy/nginx/kiln.conf</c> with test addresses.
/// </summary>
public sealed class NginxServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();

    public string Directory { get; }
    public string Log => File.Exists(Path.Combine(Directory, "error.log")) ? File.ReadAllText(Path.Combine(Directory, "error.log")) : "";

    private NginxServer(Process process, string directory)
    {
        _process = process;
        Directory = directory;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static async Task<NginxServer> StartAsync(string directory, string siteConfig, int waitForPort)
    {
        const string nginx = "/usr/sbin/nginx";
        if (!File.Exists(nginx)) throw new InvalidOperationException("nginx is not installed: apt-get install nginx.");
        File.WriteAllText(Path.Combine(directory, "kiln.conf"), siteConfig);
        var main = $$"""
            {{(Environment.UserName == "root" ? "user root;" : "")}}
            worker_processes 1;
            daemon off;
            pid {{directory}}/nginx.pid;
            error_log {{directory}}/error.log warn;
            events { worker_connections 256; }
            http {
                access_log {{directory}}/access.log;
                client_body_temp_path {{directory}}/client_body;
                proxy_temp_path {{directory}}/proxy;
                fastcgi_temp_path {{directory}}/fastcgi;
                uwsgi_temp_path {{directory}}/uwsgi;
                scgi_temp_path {{directory}}/scgi;
                include {{directory}}/kiln.conf;
            }
            """;
        var conf = Path.Combine(directory, "nginx.conf");
        File.WriteAllText(conf, main);
        var psi = new ProcessStartInfo(nginx) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-c", conf, "-p", directory + "/" }) psi.ArgumentList.Add(a);
        var server = new NginxServer(Process.Start(psi)!, directory);
        for (var deadline = DateTime.UtcNow.AddSeconds(15); DateTime.UtcNow < deadline; await Task.Delay(50))
        {
            if (server._process.HasExited) throw new InvalidOperationException($"nginx exited with {server._process.ExitCode}: {server._output}{server.Log}");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", waitForPort);
                return server;
            }
            catch (SocketException) { }
        }
        await server.DisposeAsync();
        throw new TimeoutException($"nginx did not listen on {waitForPort}: {server._output}{server.Log}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
