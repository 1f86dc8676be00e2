using System.Net;
using System.Net.Sockets;
using Kiln.Core.Accounts;
using Kiln.Core.Data;
using Kiln.Core.Pipelines;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

[assembly: AssemblyFixture(typeof(Kiln.BrowserTests.KilnApp))]

namespace Kiln.BrowserTests;

/// <summary>
/// One real Kestrel host (a browser needs a socket, not TestServer) on a free loopback port, with a temp SQLite
/// database and blob directory, plus one headless Debian Chromium shared by all tests.
/// </summary>
public sealed class KilnApp : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "kiln-browser-" + Guid.NewGuid().ToString("N")[..8]);
    private Factory? _factory;
    private IPlaywright? _playwright;

    /// <summary>An OpenID Connect issuer the sign-in page offers as "Sign in with Mock ID" (provider <c>oidc-mock</c>).</summary>
    public Kiln.IntegrationTests.Infrastructure.OidcMockServer Oidc { get; private set; } = null!;

    public string BaseUrl { get; private set; } = "";
    public IServiceProvider Services => _factory!.Services;
    public IBrowser Browser { get; private set; } = null!;
    public string BlobRoot => Path.Combine(_dir, "blobs");
    /// <summary>What Chromium's fake microphone plays (looped) to every page that records.</summary>
    public string FakeMicrophoneWav => Path.Combine(_dir, "fake-microphone.wav");

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        var port = FreePort();
        BaseUrl = $"http://127.0.0.1:{port}";
        Oidc = await Kiln.IntegrationTests.Infrastructure.OidcMockServer.StartAsync();
        // The same issuer also plays Google's endpoints, so the Google handler runs its real redirects too.
        _factory = new Factory(_dir, port, BaseUrl, Oidc.Settings().Concat(Oidc.GoogleSettings()).ToDictionary());
        _factory.UseKestrel(o => o.Listen(IPAddress.Loopback, port));
        _factory.StartServer();

        MakeFakeMicrophone(FakeMicrophoneWav);
        Assertions.SetDefaultExpectTimeout(15_000);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                // The recording page records from a WAV the fixture makes, and no permission prompt waits for a click.
                "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", $"--use-file-for-fake-audio-capture={FakeMicrophoneWav}"],
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        _playwright?.Dispose();
        if (_factory is not null) await _factory.DisposeAsync();
        if (Oidc is not null) await Oidc.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    public async Task<T> WithScope<T>(Func<IServiceProvider, Task<T>> work)
    {
        await using var scope = Services.CreateAsyncScope();
        return await work(scope.ServiceProvider);
    }

    public Task<KilnUser> CreateUserAsync(string email, string password, bool isAdmin) => WithScope(async sp =>
    {
        var result = await sp.GetRequiredService<CreateAccountCommand>().Run(email, password, null, isAdmin, CancellationToken.None);
        return result.Value ?? throw new InvalidOperationException(result.Error!.Message);
    });

    /// <summary>The web project's folder, so its wwwroot is served exactly as in development.</summary>
    private static string WebProjectDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "src", "Kiln.Web");
            if (File.Exists(Path.Combine(candidate, "Kiln.Web.csproj"))) return candidate;
        }
        throw new DirectoryNotFoundException("src/Kiln.Web was not found above the test output directory.");
    }

    /// <summary>A 4 s tone with a pause (Chromium loops it): enough to record, measure and play back.</summary>
    private static void MakeFakeMicrophone(string path)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("ffmpeg") { RedirectStandardError = true };
        foreach (var a in new[] { "-v", "error", "-y", "-f", "lavfi", "-i", "sine=f=220:d=3,apad=pad_dur=1", "-ar", "48000", "-ac", "1", "-c:a", "pcm_s16le", path })
            psi.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException("ffmpeg could not make the fake microphone's WAV: " + err);
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private sealed class Factory(string dir, int port, string baseUrl, Dictionary<string, string?> extra) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Development");
            builder.UseContentRoot(WebProjectDirectory());
            builder.UseUrls($"http://127.0.0.1:{port}");
            var settings = new Dictionary<string, string>
            {
                ["Kiln:Database:Provider"] = "Sqlite",
                ["Kiln:Database:ConnectionString"] = $"Data Source={Path.Combine(dir, "kiln.db")}",
                ["Kiln:Database:MigrateOnStartup"] = "true",
                ["Kiln:Storage:Provider"] = "Local",
                ["Kiln:Storage:LocalPath"] = Path.Combine(dir, "blobs"),
                ["Kiln:Storage:PublicBaseUrl"] = baseUrl,
                ["Kiln:Pipelines:Diagnostics"] = "true",
                ["Kiln:Jobs:PollSeconds"] = "0.2",
                ["Kiln:Jobs:HeartbeatSeconds"] = "0.5",
                ["Kiln:Worker:Enabled"] = "true",
                // Room for a slow job of one test to still be winding down while the next test's job starts.
                ["Kiln:Worker:Concurrency"] = "4",
                ["Kiln:Worker:ScratchPath"] = Path.Combine(dir, "scratch"),
                // Small parts so a test file of a few hundred KB goes up in several parts.
                ["Kiln:Uploads:PartSize"] = "65536",
                // Link imports fetch from a test server on this machine's loopback address.
                ["Kiln:Uploads:AllowPrivateUrls"] = "true",
                ["Kiln:Accounts:FreeGrant"] = "25",
                ["Kiln:RateLimit:PermitsPerMinute"] = "100000",
                ["Kiln:RateLimit:AuthPerMinute"] = "100000",
                ["Kiln:RateLimit:SignUpsPerIpPerHour"] = "100000",
                ["Kiln:RateLimit:UploadsPerMinute"] = "100000",
                ["Kiln:RateLimit:JobsPerMinute"] = "100000",
                ["Kiln:RateLimit:BlobsPerMinute"] = "100000",
                ["Kiln:RateLimit:WebhooksPerMinute"] = "100000",
                ["Logging:LogLevel:Default"] = "Warning",
                // The sandbox provider exercises the real checkout → signed webhook → ledger path without a network.
                ["Kiln:Billing:Provider"] = "sandbox",
                ["Kiln:Billing:Sandbox:Secret"] = "browser-tests-sandbox-secret-0123456789",
                ["Kiln:Billing:PublicBaseUrl"] = baseUrl + "/",
                // Webhook receivers in tests are plain-HTTP servers on 127.0.0.1.
                ["Kiln:Webhooks:AllowHttp"] = "true",
                ["Kiln:Webhooks:AllowPrivateUrls"] = "true",
                ["Kiln:Webhooks:PollSeconds"] = "0.2",
                ["Kiln:Podcasts:PollSeconds"] = "0.2",
                // A premium voice engine, so the dubbing form lists its voices (locked on the free plan; never called).
                ["Kiln:Media:ElevenLabs:ApiKey"] = "browser-tests-never-called",
                // Episodes go through the quick test pipeline, not the real podcast-episode processing.
                ["Kiln:Podcasts:PipelineId"] = Kiln.IntegrationTests.Podcasts.TestPodcastEpisodePipeline.PipelineId,
            };
            foreach (var (k, v) in settings) builder.UseSetting(k, v);
            foreach (var (k, v) in extra) builder.UseSetting(k, v);
            builder.ConfigureTestServices(s =>
            {
                s.AddSingleton<IPipeline, PdfEchoPipeline>();
                s.AddSingleton<IPipeline, Kiln.IntegrationTests.Podcasts.TestPodcastEpisodePipeline>();
            });
        }
    }
}
