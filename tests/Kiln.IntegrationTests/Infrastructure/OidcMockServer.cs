using System.Diagnostics;
using System.Text.Json;
using Kiln.Core.Tests.Support;

namespace Kiln.IntegrationTests.Infrastructure;

/// <summary>
/// A real OpenID Connect issuer (oauth2-mock-server from the repo's npm packages) on a free loopback port, for the
/// sign-in-with-a-provider flows. <see cref="SignInAs"/> chooses who the next token describes.
/// </summary>
public sealed class OidcMockServer : IAsyncDisposable
{
    public const string ClientId = "kiln-test-client";
    public const string ClientSecret = "kiln-test-secret";
    private readonly Process _process;
    private readonly string _identityFile;
    private readonly System.Text.StringBuilder _log = new();

    public string Issuer { get; }

    private OidcMockServer(Process process, string identityFile, string issuer)
    {
        _process = process;
        _identityFile = identityFile;
        Issuer = issuer;
    }

    /// <summary>Configuration for Kiln: an OIDC provider named <paramref name="name"/> at this issuer (plain HTTP is allowed for it).</summary>
    public Dictionary<string, string?> Settings(string name = "mock") => new()
    {
        [$"Kiln:Auth:Oidc:{name}:Authority"] = Issuer,
        [$"Kiln:Auth:Oidc:{name}:ClientId"] = ClientId,
        [$"Kiln:Auth:Oidc:{name}:ClientSecret"] = ClientSecret,
        [$"Kiln:Auth:Oidc:{name}:DisplayName"] = "Mock ID",
        [$"Kiln:Auth:Oidc:{name}:RequireHttpsMetadata"] = "false",
    };

    /// <summary>Configuration for Kiln's Google handler with its endpoints pointed at this server (authorize, token, userinfo).</summary>
    public Dictionary<string, string?> GoogleSettings() => new()
    {
        ["Kiln:Auth:Google:ClientId"] = ClientId,
        ["Kiln:Auth:Google:ClientSecret"] = ClientSecret,
        ["Kiln:Auth:Google:AuthorizationEndpoint"] = Issuer + "/authorize",
        ["Kiln:Auth:Google:TokenEndpoint"] = Issuer + "/token",
        ["Kiln:Auth:Google:UserInformationEndpoint"] = Issuer + "/userinfo",
    };

    public void SignInAs(string subject, string email, bool emailVerified = true, string? name = null) =>
        File.WriteAllText(_identityFile, JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["sub"] = subject, ["email"] = email, ["email_verified"] = emailVerified, ["name"] = name ?? "Test Person",
        }));

    public static async Task<OidcMockServer> StartAsync()
    {
        var root = S3Server.RepoRoot();
        var script = Path.Combine(root, "tests", "Kiln.IntegrationTests", "Infrastructure", "oidc-mock-server.mjs");
        var identity = Path.Combine(Path.GetTempPath(), $"kiln-oidc-{Guid.NewGuid():N}.json");
        var port = S3Server.FreePort();
        var psi = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = root };
        foreach (var a in new[] { script, port.ToString(System.Globalization.CultureInfo.InvariantCulture), identity }) psi.ArgumentList.Add(a);
        var process = Process.Start(psi) ?? throw new InvalidOperationException("Could not start node.");
        var server = new OidcMockServer(process, identity, $"http://127.0.0.1:{port}");
        server.SignInAs("nobody", "nobody@example.test");
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited) throw new InvalidOperationException($"oauth2-mock-server exited with {process.ExitCode}: {server.Log}");
            try
            {
                if ((await http.GetAsync(server.Issuer + "/.well-known/openid-configuration")).IsSuccessStatusCode) return server;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(100);
        }
        await server.DisposeAsync();
        throw new TimeoutException("oauth2-mock-server did not start: " + server.Log);
    }

    public string Log { get { lock (_log) return _log.ToString(); } }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try { File.Delete(_identityFile); } catch (IOException) { }
    }
}
