using System.Diagnostics;
using Kiln.Core.Tests.Support;

namespace Kiln.IntegrationTests.Infrastructure;

/// <summary>
/// A real Kiln.Web process (the built <c>Kiln.Web.dll</c>, content root <c>src/Kiln.Web</c>) on a loopback port, with
/// settings passed as environment variables the way an operator would. Started and awaited until <c>/health/live</c>.
/// </summary>
public sealed class WebProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly System.Text.StringBuilder _output = new();

    public string Name { get; }
    public int Port { get; }
    public int Pid => _process.Id;
    public string Output { get { lock (_output) return _output.ToString(); } }

    private WebProcess(Process process, string name, int port)
    {
        _process = process;
        Name = name;
        Port = port;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public static async Task<WebProcess> StartAsync(string name, int port, IDictionary<string, string> settings)
    {
        var root = S3Server.RepoRoot();
        var dll = Path.Combine(root, "src", "Kiln.Web", "bin", "Debug", "net10.0", "Kiln.Web.dll");
        if (!File.Exists(dll)) throw new InvalidOperationException($"Build the solution first: {dll} is missing.");
        var psi = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
            WorkingDirectory = Path.Combine(root, "src", "Kiln.Web"),
        };
        psi.ArgumentList.Add(dll);
        var env = psi.Environment;
        env["DOTNET_ENVIRONMENT"] = "Production";
        env["ASPNETCORE_ENVIRONMENT"] = "Production";
        env["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        env["Kiln__Instance"] = name;
        foreach (var (k, v) in settings) env[k.Replace(":", "__", StringComparison.Ordinal)] = v;
        var web = new WebProcess(Process.Start(psi)!, name, port);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline; await Task.Delay(100))
        {
            if (web._process.HasExited) throw new InvalidOperationException($"{name} exited with {web._process.ExitCode}: {web.Output}");
            try
            {
                if ((await http.GetAsync($"http://127.0.0.1:{port}/health/live")).IsSuccessStatusCode) return web;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
        }
        await web.DisposeAsync();
        throw new TimeoutException($"{name} did not answer /health/live within 60 s: {web.Output}");
    }

    /// <summary>SIGKILL: the process is gone at once, as in a crash.</summary>
    public async Task KillAsync()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    private bool _disposed;

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
