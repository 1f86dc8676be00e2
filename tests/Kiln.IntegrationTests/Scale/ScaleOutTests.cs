using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kiln.Core.Data;
using Kiln.Core.Tests.Support;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Kiln.IntegrationTests.Scale;

/// <summary>
/// Two real web processes on PostgreSQL + s3rver behind a real nginx running <c>deploy/nginx/kiln.conf</c> (TLS ends at
/// nginx, round-robin upstream): everything one process issues (cookie, antiforgery token, bearer and refresh token)
/// works on the other and after a restart, because the Data Protection key ring lives in the database.
/// </summary>
public sealed partial class ScaleOutTests(PostgresServer pg, S3Server s3) : IClassFixture<S3Server>
{
    private readonly HashSet<string> _answeredBy = [];

    [Fact]
    public async Task Two_web_processes_behind_nginx_share_sign_in_antiforgery_tokens_and_uploads_across_a_restart()
    {
        var db = new DatabaseOptions { Provider = DatabaseProvider.Postgres, ConnectionString = await pg.CreateDatabaseAsync() };
        await using (var migrate = DataRegistrations.CreateContext(db)) await migrate.Database.MigrateAsync(); // `kiln migrate`, once

        var dir = System.IO.Directory.CreateTempSubdirectory("kiln-scale-").FullName;
        var (portA, portB, httpsPort, httpPort) = (PostgresServer.FreePort(), PostgresServer.FreePort(), PostgresServer.FreePort(), PostgresServer.FreePort());
        var settings = new Dictionary<string, string>
        {
            ["Kiln:Database:Provider"] = "Postgres",
            ["Kiln:Database:ConnectionString"] = db.ConnectionString,
            ["Kiln:Database:MigrateOnStartup"] = "false",
            ["Kiln:Storage:Provider"] = "S3",
            ["Kiln:Storage:S3:ServiceUrl"] = s3.ServiceUrl,
            ["Kiln:Storage:S3:Bucket"] = S3Server.Bucket,
            ["Kiln:Storage:S3:AccessKey"] = "S3RVER",
            ["Kiln:Storage:S3:SecretKey"] = "S3RVER",
            ["Kiln:Worker:Enabled"] = "false", // web-b runs the embedded worker (below)
            ["Kiln:Jobs:PollSeconds"] = "0.2",
            ["Kiln:RateLimit:PermitsPerMinute"] = "100000",
            ["Kiln:Pipelines:Diagnostics"] = "true",
            ["Kiln:Http:KnownProxies"] = "127.0.0.1", // nginx, and nobody else
            ["Kiln:Http:KnownNetworks"] = "",
            ["AllowedHosts"] = "localhost;127.0.0.1",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        // Both start at once on an empty key ring: the start-up check must leave them with one shared key.
        var starting = new[] { WebProcess.StartAsync("web-a", portA, settings), WebProcess.StartAsync("web-b", portB, new Dictionary<string, string>(settings) { ["Kiln:Worker:Enabled"] = "true" }) };
        Mark("database ready");
        await Task.WhenAll(starting);
        Mark("two web processes up");
        var webA = await starting[0];
        await using var webB = await starting[1];
        try
        {
            await using (var check = DataRegistrations.CreateContext(db)) (await check.DataProtectionKeys.CountAsync()).ShouldBe(1);

            var (certPath, keyPath, thumbprint) = WriteCertificate(dir);
            var site = SiteConfig(portA, portB, httpsPort, httpPort, certPath, keyPath);
            await using var nginx = await NginxServer.StartAsync(dir, site, httpsPort);
            Mark("nginx up");

            using var handler = new HttpClientHandler
            {
                AllowAutoRedirect = false,
                CookieContainer = new CookieContainer(),
                ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert?.Thumbprint == thumbprint,
            };
            using var browser = new HttpClient(handler) { BaseAddress = new Uri($"https://localhost:{httpsPort}") };
            var email = $"scale-{Guid.NewGuid():N}@example.test";

            // Sign up (API) and sign in (the page, a cookie) through nginx.
            (await Send(browser, HttpMethod.Post, "/api/auth/register", JsonContent.Create(new { email, password = KilnTestHost.Password })))
                .StatusCode.ShouldBe(HttpStatusCode.Created);
            var signIn = await PostForm(browser, "/signin", "/signin", new() { ["Email"] = email, ["Password"] = KilnTestHost.Password });
            signIn.Post.StatusCode.ShouldBe(HttpStatusCode.Redirect, await signIn.Post.Content.ReadAsStringAsync());
            // nginx terminates TLS and says so (X-Forwarded-Proto: https): the cookie is Secure and HSTS is sent.
            var authCookie = signIn.Post.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("kiln.auth=", StringComparison.Ordinal));
            authCookie.ShouldContain("secure", Case.Insensitive);
            signIn.Post.Headers.GetValues("Strict-Transport-Security").Single().ShouldStartWith("max-age=31536000");
            // The redirect after sign-in is relative: the Host header never makes it into a Location.
            signIn.Post.Headers.Location!.IsAbsoluteUri.ShouldBeFalse();

            // The cookie session on both processes.
            for (var i = 0; i < 4; i++)
                (await Send(browser, HttpMethod.Get, "/workspace/api-keys")).StatusCode.ShouldBe(HttpStatusCode.OK);
            _answeredBy.ShouldContain(i => i.StartsWith("web-a/", StringComparison.Ordinal), "round-robin reached both processes");
            _answeredBy.ShouldContain(i => i.StartsWith("web-b/", StringComparison.Ordinal), "round-robin reached both processes");

            // An antiforgery token from one process accepted by the other.
            var crossed = false;
            for (var i = 0; i < 4 && !crossed; i++)
            {
                var form = await PostForm(browser, "/workspace/api-keys", "/workspace/api-keys?handler=CreateKey", new() { ["KeyName"] = $"key {i}" });
                var body = await form.Post.Content.ReadAsStringAsync();
                form.Post.StatusCode.ShouldBe(HttpStatusCode.OK, body);
                body.ShouldContain("id=\"new-key-value\"");
                crossed = Instance(form.Page) != Instance(form.Post);
            }
            crossed.ShouldBeTrue("a form loaded from one process was posted to the other");
            Mark("signed in, forms posted");

            // Bearer and refresh tokens across both processes.
            var tokens = await (await Send(browser, HttpMethod.Post, "/api/auth/login", JsonContent.Create(new { email, password = KilnTestHost.Password }))).Json(HttpStatusCode.OK);
            using var api = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert?.Thumbprint == thumbprint })
            { BaseAddress = browser.BaseAddress };
            api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.GetProperty("accessToken").GetString());
            var bearerSeen = new HashSet<string>();
            for (var i = 0; i < 4; i++)
            {
                var me = await Send(api, HttpMethod.Get, "/api/me");
                me.StatusCode.ShouldBe(HttpStatusCode.OK);
                bearerSeen.Add(Instance(me));
            }
            bearerSeen.Count.ShouldBe(2);
            var refresh = tokens.GetProperty("refreshToken").GetString();
            for (var i = 0; i < 2; i++)
            {
                var refreshed = await (await Send(api, HttpMethod.Post, "/api/auth/refresh", JsonContent.Create(new { refreshToken = refresh }))).Json(HttpStatusCode.OK);
                refresh = refreshed.GetProperty("refreshToken").GetString();
                api.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", refreshed.GetProperty("accessToken").GetString());
            }

            // An upload: created through one process, its part PUT to the presigned link, completed through the other.
            var pdf = TestPdf.Create(["Scale-out keeps working across web processes."]);
            var upload = await (await api.UploadAsync("scale.pdf", pdf, "application/pdf")).Json(HttpStatusCode.OK);
            upload.GetProperty("status").GetString().ShouldBe("ready");
            // And a job, run by whichever embedded worker claims it.
            var job = (await (await api.CreateJob("noop")).Json(HttpStatusCode.Created)).Id();
            (await api.WaitForJob(job, "succeeded", "failed")).GetProperty("status").GetString().ShouldBe("succeeded");

            Mark("tokens, upload and job");
            // Metrics are not served through the public proxy.
            (await Send(browser, HttpMethod.Get, "/metrics")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

            // Crash one process: nginx routes around it, and the session goes on.
            var oldPidA = webA.Pid;
            await webA.KillAsync();
            await webA.DisposeAsync();
            for (var i = 0; i < 3; i++)
            {
                (await Send(browser, HttpMethod.Get, "/workspace/api-keys")).StatusCode.ShouldBe(HttpStatusCode.OK);
                (await Send(api, HttpMethod.Get, "/api/me")).StatusCode.ShouldBe(HttpStatusCode.OK);
            }
            // Restarted, it reads what was issued before (by itself and by the other) from the key ring in the database.
            Mark("web-a killed");
            webA = await WebProcess.StartAsync("web-a", portA, settings);
            Mark("web-a restarted");
            var restarted = $"web-a/{webA.Pid}";
            webA.Pid.ShouldNotBe(oldPidA);
            var nudge = () => Send(browser, HttpMethod.Get, "/health/live");
            var page = await AnsweredBy(restarted, () => Send(browser, HttpMethod.Get, "/workspace/api-keys"), nudge);
            page.StatusCode.ShouldBe(HttpStatusCode.OK, "the cookie issued before the restart");
            var meAfter = await AnsweredBy(restarted, () => Send(api, HttpMethod.Get, "/api/me"), nudge);
            meAfter.StatusCode.ShouldBe(HttpStatusCode.OK, "the bearer token issued before the restart");
            var posted = await AnsweredBy(restarted, async () =>
            {
                var form = await PostForm(browser, "/workspace/api-keys", "/workspace/api-keys?handler=CreateKey", new() { ["KeyName"] = "after restart" });
                return form.Post;
            }, nudge);
            posted.StatusCode.ShouldBe(HttpStatusCode.OK, "a form posted to the restarted process");
            Mark("after restart");
            await using (var check = DataRegistrations.CreateContext(db)) (await check.DataProtectionKeys.CountAsync()).ShouldBe(1);
        }
        finally
        {
            await webA.DisposeAsync();
            try { System.IO.Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>
    /// Repeats <paramref name="send"/> until <paramref name="instance"/> answers it. Round-robin alternates, so an action of
    /// two requests (a form: load, then post) would always land its post on the same process: every other miss, one
    /// more request shifts the rotation by one.
    /// </summary>
    private static async Task<HttpResponseMessage> AnsweredBy(string instance, Func<Task<HttpResponseMessage>> send, Func<Task<HttpResponseMessage>> nudge)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        for (var attempt = 0; ; attempt++)
        {
            var response = await send();
            if (Instance(response) == instance) return response;
            ((int)response.StatusCode).ShouldBeLessThan(400, "answered by the other process meanwhile");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{instance} never answered through nginx; last: {Instance(response)}");
            if (attempt % 2 == 1) await nudge();
        }
    }

    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    private readonly System.Text.StringBuilder _timings = new();

    /// <summary>Where the time goes (written to the temp directory, for the bench notes).</summary>
    private void Mark(string step)
    {
        _timings.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"{_clock.Elapsed.TotalSeconds:F1} s {step}");
        File.WriteAllText(Path.Combine(Path.GetTempPath(), "kiln-scale-out-timings.txt"), _timings.ToString());
    }

    /// <summary>The shipped site configuration with this test's addresses: every replaced line must still be in the file.</summary>
    private static string SiteConfig(int portA, int portB, int httpsPort, int httpPort, string cert, string key)
    {
        var site = File.ReadAllText(Path.Combine(S3Server.RepoRoot(), "deploy", "nginx", "kiln.conf"));
        (string From, string To)[] swaps =
        [
            ("server web-1:8080", $"server 127.0.0.1:{portA}"),
            ("server web-2:8080", $"server 127.0.0.1:{portB}"),
            ("listen 443 ssl http2;", $"listen 127.0.0.1:{httpsPort} ssl http2;"),
            ("listen 80;", $"listen 127.0.0.1:{httpPort};"),
            ("server_name kiln.example.com;", "server_name localhost;"),
            ("/etc/nginx/tls/kiln.crt", cert),
            ("/etc/nginx/tls/kiln.key", key),
        ];
        foreach (var (from, to) in swaps)
        {
            site.ShouldContain(from, customMessage: "deploy/nginx/kiln.conf changed: update this test's substitutions");
            site = site.Replace(from, to, StringComparison.Ordinal);
        }
        return site;
    }

    private static (string Cert, string Key, string Thumbprint) WriteCertificate(string dir)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var certPath = Path.Combine(dir, "kiln.crt");
        var keyPath = Path.Combine(dir, "kiln.key");
        File.WriteAllText(certPath, cert.ExportCertificatePem());
        File.WriteAllText(keyPath, rsa.ExportPkcs8PrivateKeyPem());
        return (certPath, keyPath, cert.Thumbprint);
    }

    private async Task<HttpResponseMessage> Send(HttpClient client, HttpMethod method, string url, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, url) { Content = content };
        var response = await client.SendAsync(request);
        _answeredBy.Add(Instance(response));
        return response;
    }

    private async Task<(HttpResponseMessage Page, HttpResponseMessage Post)> PostForm(HttpClient client, string pageUrl, string action, Dictionary<string, string> fields)
    {
        var page = await Send(client, HttpMethod.Get, pageUrl);
        var html = await page.Content.ReadAsStringAsync();
        var token = TokenInput().Match(html);
        token.Success.ShouldBeTrue($"no antiforgery token on {pageUrl}: {page.StatusCode}");
        fields["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value);
        var post = await Send(client, HttpMethod.Post, action, new FormUrlEncodedContent(fields));
        return (page, post);
    }

    /// <summary>Which process answered: <c>name/pid</c> from the X-Kiln-Instance header (<c>Kiln:Instance</c>).</summary>
    private static string Instance(HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-Kiln-Instance", out var values) ? values.Single() : "(none)";

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex TokenInput();
}
