using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Kiln.Core.Tests.Support;
using Kiln.Core.Uploads;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;

namespace Kiln.IntegrationTests.Api;

/// <summary>
/// POST /api/uploads/from-url against a real local HTTP server: a fetched file becomes the same ready upload an
/// uploaded one does and runs a job; every failure answers its stable code and leaves no usable upload, no bytes,
/// no hold and no job; internal addresses are refused unless the operator allows them.
/// </summary>
public sealed class UrlImportTests(PostgresServer pg)
{
    private static readonly string[] Pages = Enumerable.Range(1, 3)
        .Select(i => $"Chapter {i}. Firing clay\nKilns fire clay at high temperature. Chapter {i} explains why potters care about heat and time.").ToArray();

    private static readonly byte[] Pdf = TestPdf.Create(Pages);

    /// <summary>Test hosts fetch from this machine, so private addresses are allowed unless a test says otherwise.</summary>
    private static Dictionary<string, string?> Settings(bool allowPrivate = true) => new()
    {
        ["Kiln:Uploads:AllowPrivateUrls"] = allowPrivate ? "true" : "false",
        ["Kiln:Uploads:MaxBytes"] = "200000",
        ["Kiln:Uploads:UrlTimeout"] = "00:00:03",
    };

    private static Task<SourceServer> StartSourceAsync() => SourceServer.StartAsync(port => new()
    {
        ["/papers/kilns.pdf"] = ctx => Send(ctx, Pdf, "application/pdf"),
        ["/hop"] = ctx =>
        {
            var n = int.Parse(ctx.Request.Query["n"].ToString(), CultureInfo.InvariantCulture);
            ctx.Response.StatusCode = n % 2 == 0 ? 302 : 301;
            ctx.Response.Headers.Location = n == 0 ? "/papers/kilns.pdf" : $"/hop?n={n - 1}";
            return Task.CompletedTask;
        },
        ["/download.php"] = ctx =>
        {
            ctx.Response.Headers.ContentDisposition = "attachment; filename=\"Pottery Report.pdf\"";
            return Send(ctx, Pdf, "application/octet-stream");
        },
        ["/arxiv/2401.12345"] = ctx => Send(ctx, Pdf, "application/pdf"),
        ["/chunked-huge.pdf"] = async ctx =>
        {
            // No Content-Length: only counting while streaming can stop this one.
            ctx.Response.ContentType = "application/pdf";
            var chunk = new byte[16384];
            "%PDF-1.4\n"u8.CopyTo(chunk);
            try
            {
                for (var i = 0; i < 200; i++)
                {
                    await ctx.Response.Body.WriteAsync(chunk, ctx.RequestAborted);
                    await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException) { }
        },
        ["/declared-huge.pdf"] = async ctx =>
        {
            ctx.Response.ContentType = "application/pdf";
            ctx.Response.ContentLength = 50_000_000;
            try
            {
                await ctx.Response.Body.WriteAsync("%PDF-1.4\n"u8.ToArray(), ctx.RequestAborted);
                await Task.Delay(TimeSpan.FromSeconds(30), ctx.RequestAborted);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException) { }
        },
        ["/slow.pdf"] = async ctx =>
        {
            ctx.Response.ContentType = "application/pdf";
            try
            {
                await ctx.Response.Body.WriteAsync(Pdf.AsMemory(0, 100), ctx.RequestAborted);
                await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                await Task.Delay(TimeSpan.FromSeconds(30), ctx.RequestAborted);
            }
            catch (Exception e) when (e is OperationCanceledException or IOException) { }
        },
        ["/fake.pdf"] = ctx => Send(ctx, Encoding.UTF8.GetBytes("<html><body>Not a PDF at all</body></html>"), "application/pdf"),
        ["/about"] = ctx => Send(ctx, Encoding.UTF8.GetBytes("<!doctype html><title>About the paper</title>"), "text/html; charset=utf-8"),
        ["/empty.pdf"] = ctx => Send(ctx, [], "application/pdf"),
        ["/encrypted.pdf"] = ctx => Send(ctx, TestFiles.EncryptedPdf(), "application/pdf"),
        ["/private.pdf"] = ctx =>
        {
            ctx.Response.StatusCode = 403;
            return Task.CompletedTask;
        },
        ["/broken.pdf"] = async ctx =>
        {
            // Promises more than it sends, then hangs up.
            ctx.Response.ContentLength = Pdf.Length;
            await ctx.Response.Body.WriteAsync(Pdf.AsMemory(0, Pdf.Length / 2));
            await ctx.Response.Body.FlushAsync();
            ctx.Abort();
        },
    });

    private static async Task Send(HttpContext ctx, byte[] body, string contentType)
    {
        ctx.Response.ContentType = contentType;
        ctx.Response.ContentLength = body.Length;
        await ctx.Response.Body.WriteAsync(body);
    }

    private static Task<HttpResponseMessage> Import(TestUser user, string? url) =>
        user.Client.PostAsJsonAsync("/api/uploads/from-url", new { url });

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_linked_pdf_becomes_a_ready_upload_and_a_job_runs_on_it(string provider)
    {
        await using var source = await StartSourceAsync();
        await using var host = await KilnTestHost.StartAsync(provider, pg, overrides: Settings());
        var user = await host.SignUpAsync();

        var response = await Import(user, source.Url + "/papers/kilns.pdf");
        var upload = await response.Json(HttpStatusCode.Created);
        response.Headers.Location!.ToString().ShouldBe($"/api/uploads/{upload.Id()}");
        upload.GetProperty("status").GetString().ShouldBe("ready");
        upload.GetProperty("kind").GetString().ShouldBe("pdf");
        upload.GetProperty("fileName").GetString().ShouldBe("kilns.pdf");
        upload.GetProperty("size").GetInt64().ShouldBe(Pdf.Length);
        upload.GetProperty("metadata").GetProperty("pages").GetInt32().ShouldBe(3);
        // The same DTO the upload endpoints answer with.
        (await (await user.Client.GetAsync($"/api/uploads/{upload.Id()}")).Json(HttpStatusCode.OK)).GetProperty("status").GetString().ShouldBe("ready");
        var stored = Directory.GetFiles(host.BlobPath, "*", SearchOption.AllDirectories).ShouldHaveSingleItem();
        (await File.ReadAllBytesAsync(stored)).ShouldBe(Pdf);

        var job = await (await user.Client.CreateJob("pdf-podcast", new { pages = "1-3" }, [upload.Id()])).Json(HttpStatusCode.Created);
        var done = await user.Client.WaitForJob(job.Id(), "succeeded", "failed");
        done.GetProperty("status").GetString().ShouldBe("succeeded", done.ToString());

        // Through redirects, with the server's file name, and with a name that only the bytes can complete.
        var redirected = await (await Import(user, source.Url + "/hop?n=4")).Json(HttpStatusCode.Created);
        redirected.GetProperty("fileName").GetString().ShouldBe("kilns.pdf");
        redirected.GetProperty("status").GetString().ShouldBe("ready");
        source.Hits("/hop").ShouldBe(5);
        (await (await Import(user, source.Url + "/download.php?id=7")).Json(HttpStatusCode.Created)).GetProperty("fileName").GetString().ShouldBe("Pottery Report.pdf");
        (await (await Import(user, source.Url + "/arxiv/2401.12345")).Json(HttpStatusCode.Created)).GetProperty("fileName").GetString().ShouldBe("2401.12345.pdf");
        // (PostgreSQL logs one failed probe of the migrations table while creating it; that one is expected.)
        host.Errors.Entries.Where(e => !e.Contains("__kiln_migrations", StringComparison.Ordinal)).ShouldBeEmpty();
    }

    private static readonly (string Path, int Status, string Code)[] Cases =
    [
        ("/missing.pdf", 422, "url_fetch_failed"),
        ("/private.pdf", 422, "url_fetch_failed"),
        ("/hop?n=6", 422, "url_fetch_failed"),
        ("/broken.pdf", 422, "url_fetch_failed"),
        ("/chunked-huge.pdf", 413, "upload_too_large"),
        ("/declared-huge.pdf", 413, "upload_too_large"),
        ("/slow.pdf", 422, "url_timeout"),
        ("/fake.pdf", 422, "type_mismatch"),
        ("/about", 415, "unsupported_type"),
        ("/empty.pdf", 422, "empty_file"),
        ("/encrypted.pdf", 422, "pdf_encrypted"),
    ];

    [Fact]
    public async Task Every_failure_answers_its_code_and_leaves_nothing_behind_sqlite() => await FailuresLeaveNothing("sqlite");

    [Fact]
    public async Task Every_failure_answers_its_code_and_leaves_nothing_behind_postgres() => await FailuresLeaveNothing("postgres");

    /// <summary>One host per provider for all cases (a host per case would be slow); each case is checked on its own.</summary>
    private async Task FailuresLeaveNothing(string provider)
    {
        await using var source = await StartSourceAsync();
        await using var host = await KilnTestHost.StartAsync(provider, pg, overrides: Settings());
        var user = await host.SignUpAsync();
        var before = (await user.Client.Balance()).GetProperty("available").GetInt64();
        var failures = new List<string>();
        var attempted = 0;

        async Task Expect(string? url, int status, string code)
        {
            var started = DateTime.UtcNow;
            var response = await Import(user, url);
            var body = await response.Content.ReadAsStringAsync();
            if ((int)response.StatusCode != status || !body.Contains($"\"code\":\"{code}\"", StringComparison.Ordinal) || response.Content.Headers.ContentType?.MediaType != "application/problem+json")
                failures.Add($"{url} → {(int)response.StatusCode} {body} (wanted {status} {code})");
            if (DateTime.UtcNow - started > TimeSpan.FromSeconds(20)) failures.Add($"{url} took {DateTime.UtcNow - started}");
            var files = Directory.Exists(host.BlobPath) ? Directory.GetFiles(host.BlobPath, "*", SearchOption.AllDirectories) : [];
            if (files.Length > 0) failures.Add($"{url} left bytes behind: {string.Join(", ", files)}");
        }

        foreach (var (path, status, code) in Cases)
        {
            await Expect(source.Url + path, status, code);
            attempted++;
        }
        await Expect("http://no-such-host.invalid/paper.pdf", 422, "url_fetch_failed");
        attempted++;
        foreach (var bad in new[] { null, "", "paper.pdf", "ftp://127.0.0.1/paper.pdf", "file:///etc/passwd", $"http://user:pw@127.0.0.1:{source.Port}/papers/kilns.pdf", source.Url + "/" + new string('a', 2100) })
            await Expect(bad, 400, "url_invalid");

        failures.ShouldBeEmpty(string.Join('\n', failures) + "\n" + string.Join('\n', host.Errors.Entries));
        await using var db = host.NewDbContext();
        var uploads = await db.Uploads.AsNoTracking().ToListAsync();
        // A fetch that got as far as the network leaves a Rejected row (swept later, like a rejected upload); URL errors none.
        uploads.Count.ShouldBe(attempted);
        uploads.ShouldAllBe(u => u.Status == UploadStatus.Rejected && u.RejectCode != null);
        (await db.Jobs.CountAsync()).ShouldBe(0);
        (await db.CreditHolds.CountAsync()).ShouldBe(0);
        (await user.Client.Balance()).GetProperty("available").GetInt64().ShouldBe(before);
        // A rejected import cannot be used for a job.
        var rejected = uploads.First(u => u.RejectCode == "type_mismatch");
        (await user.Client.CreateJob("pdf-podcast", new { pages = "1" }, [rejected.Id])).StatusCode.ShouldNotBe(HttpStatusCode.Created);
        // (PostgreSQL logs one failed probe of the migrations table while creating it; that one is expected.)
        host.Errors.Entries.Where(e => !e.Contains("__kiln_migrations", StringComparison.Ordinal)).ShouldBeEmpty();
    }

    [Fact]
    public async Task Internal_addresses_are_refused_unless_allowed()
    {
        await using var source = await StartSourceAsync();
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, worker: false, overrides: Settings(allowPrivate: false));
        var user = await host.SignUpAsync();
        var urls = new[]
        {
            source.Url + "/papers/kilns.pdf",
            $"http://localhost:{source.Port}/papers/kilns.pdf",
            $"http://[::1]:{source.Port}/papers/kilns.pdf",
            $"http://[::ffff:127.0.0.1]:{source.Port}/papers/kilns.pdf",
            $"http://2130706433:{source.Port}/papers/kilns.pdf",
            $"http://0.0.0.0:{source.Port}/papers/kilns.pdf",
            "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
            "http://10.0.0.1/paper.pdf",
            "http://192.168.1.1/paper.pdf",
            "http://100.64.0.1/paper.pdf",
            "http://[fd00::1]/paper.pdf",
        };
        foreach (var url in urls)
            await (await Import(user, url)).Problem((HttpStatusCode)422, "url_forbidden_address");
        source.Hits("/papers/kilns.pdf").ShouldBe(0);
        (Directory.Exists(host.BlobPath) ? Directory.GetFiles(host.BlobPath, "*", SearchOption.AllDirectories) : []).ShouldBeEmpty();
        await using var db = host.NewDbContext();
        (await db.Uploads.AsNoTracking().ToListAsync()).ShouldAllBe(u => u.Status == UploadStatus.Rejected && u.RejectCode == "url_forbidden_address");
    }

    [Fact]
    public async Task An_import_over_the_plans_storage_is_refused_with_the_upgrade_link_and_keeps_no_bytes()
    {
        await using var source = await StartSourceAsync();
        var settings = Settings();
        settings["Kiln:Billing:Plans:0:Id"] = "free";
        settings["Kiln:Billing:Plans:0:MaxStorageBytes"] = (Pdf.Length / 2).ToString(CultureInfo.InvariantCulture);
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, worker: false, overrides: settings);
        var user = await host.SignUpAsync();
        var problem = await (await Import(user, source.Url + "/papers/kilns.pdf")).Problem(HttpStatusCode.Forbidden, "plan_storage_limit");
        problem.GetProperty("upgradeUrl").GetString().ShouldBe("/pricing");
        problem.GetProperty("neededBytes").GetInt64().ShouldBe(Pdf.Length);
        problem.GetProperty("title").GetString()!.ShouldContain("import the link again");
        (Directory.Exists(host.BlobPath) ? Directory.GetFiles(host.BlobPath, "*", SearchOption.AllDirectories) : []).ShouldBeEmpty();
        await using var db = host.NewDbContext();
        (await db.Uploads.AsNoTracking().SingleAsync()).Status.ShouldBe(UploadStatus.Rejected);
    }

    [Fact]
    public async Task The_endpoint_is_rate_limited_per_workspace()
    {
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, worker: false, overrides: new Dictionary<string, string?> { ["Kiln:RateLimit:PermitsPerMinute"] = "4" });
        var user = await host.SignUpAsync();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++) statuses.Add((await Import(user, "ftp://example.com/x.pdf")).StatusCode);
        statuses.ShouldContain(HttpStatusCode.BadRequest);
        var last = await Import(user, "ftp://example.com/x.pdf");
        var problem = await last.Problem(HttpStatusCode.TooManyRequests, "rate_limited");
        last.Headers.RetryAfter.ShouldNotBeNull(problem.ToString());
    }
}
