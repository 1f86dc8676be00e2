using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

namespace Kiln.Core.Tests.Support;

/// <summary>One message as maildev's REST API (<c>GET /email</c>) returns it.</summary>
public sealed record CaughtEmail(string Id, string To, string From, string Subject, string Text, string Html, JsonElement Raw)
{
    /// <summary>The first link in the text body that starts with <paramref name="prefix"/> (an absolute URL or a path).</summary>
    public string Link(string prefix)
    {
        var at = Text.IndexOf(prefix, StringComparison.Ordinal);
        if (at < 0) throw new InvalidOperationException($"No link containing {prefix} in: {Text}");
        var end = Text.IndexOfAny([' ', '\n', '\r'], at);
        var start = Text.LastIndexOfAny([' ', '\n'], at) + 1;
        return Text[start..(end < 0 ? Text.Length : end)];
    }

    /// <summary>The token query value of the link under <paramref name="path"/>.</summary>
    public string Token(string path) => Link(path).Split("token=")[1];
}

/// <summary>
/// A real SMTP server for tests: maildev (npm, in the repo's node_modules) on free loopback ports, read over its REST
/// API. <see cref="StopAsync"/> and <see cref="StartAsync"/> take SMTP down and bring it back on the same ports.
/// </summary>
public sealed class MaildevServer : IAsyncLifetime
{
    private Process? _process;
    private readonly System.Text.StringBuilder _log = new();
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("kiln-maildev-").FullName;
    public int SmtpPort { get; } = FreePort();
    public int WebPort { get; } = FreePort();
    public string WebUrl => $"http://127.0.0.1:{WebPort}";

    /// <summary>The settings that point Kiln at this server.</summary>
    public Dictionary<string, string?> Settings => new()
    {
        ["Kiln:Email:SmtpHost"] = "127.0.0.1",
        ["Kiln:Email:SmtpPort"] = SmtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Kiln:Email:SmtpSecurity"] = "None",
        ["Kiln:Email:FromAddress"] = "noreply@kiln.test",
        ["Kiln:Email:FromName"] = "Kiln Test",
        ["Kiln:Email:PublicBaseUrl"] = "http://localhost",
        ["Kiln:Email:PollSeconds"] = "0.1",
        ["Kiln:Email:BackoffBaseSeconds"] = "0.2",
        ["Kiln:Email:MaxBackoffSeconds"] = "0.5",
    };

    public ValueTask InitializeAsync() => new(StartAsync());

    public async Task StartAsync()
    {
        var script = Path.Combine(S3Server.RepoRoot(), "node_modules", "maildev", "bin", "maildev");
        if (!File.Exists(script)) throw new InvalidOperationException("maildev is not installed (npm devDependency maildev@2.2.1).");
        var psi = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { script, "--ip", "127.0.0.1", "--smtp", SmtpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--web", WebPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "--mail-directory", Directory, "--silent" })
            psi.ArgumentList.Add(a);
        _process = Process.Start(psi) ?? throw new InvalidOperationException("Could not start node.");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"maildev exited with {_process.ExitCode}: {Log}");
            try
            {
                if ((await _http.GetAsync($"{WebUrl}/healthz")).IsSuccessStatusCode && SmtpAnswers()) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException($"maildev did not start: {Log}");
    }

    /// <summary>SMTP goes down (the process ends); what it caught so far is kept on disk.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        _process = null;
    }

    public async Task<List<CaughtEmail>> AllAsync()
    {
        var list = await _http.GetFromJsonAsync<JsonElement>($"{WebUrl}/email");
        return list.EnumerateArray().Select(e => new CaughtEmail(
            e.GetProperty("id").GetString()!,
            string.Join(",", e.GetProperty("to").EnumerateArray().Select(t => t.GetProperty("address").GetString())),
            string.Join(",", e.GetProperty("from").EnumerateArray().Select(t => t.GetProperty("address").GetString())),
            e.GetProperty("subject").GetString() ?? "",
            e.TryGetProperty("text", out var t) ? t.GetString() ?? "" : "",
            e.TryGetProperty("html", out var h) ? h.GetString() ?? "" : "",
            e.Clone())).ToList();
    }

    /// <summary>Waits (30 s at most) for a message to <paramref name="to"/> whose subject contains <paramref name="subject"/>.</summary>
    public async Task<CaughtEmail> WaitForAsync(string to, string subject, int count = 1)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        List<CaughtEmail> found = [];
        while (DateTime.UtcNow < deadline)
        {
            found = (await AllAsync()).Where(m => m.To.Equals(to, StringComparison.OrdinalIgnoreCase) && m.Subject.Contains(subject, StringComparison.Ordinal)).ToList();
            if (found.Count >= count) return found[count - 1];
            await Task.Delay(100);
        }
        throw new TimeoutException($"No email “{subject}” to {to} arrived ({found.Count} of {count}). Caught: {string.Join("; ", (await AllAsync()).Select(m => m.To + ": " + m.Subject))}");
    }

    public async Task<int> CountAsync(string to) => (await AllAsync()).Count(m => m.To.Equals(to, StringComparison.OrdinalIgnoreCase));

    public string Log { get { lock (_log) return _log.ToString(); } }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _http.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }

    private bool SmtpAnswers()
    {
        try
        {
            using var c = new TcpClient();
            c.Connect(IPAddress.Loopback, SmtpPort);
            return true;
        }
        catch (SocketException) { return false; }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log) if (_log.Length < 64 * 1024) _log.AppendLine(line);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
