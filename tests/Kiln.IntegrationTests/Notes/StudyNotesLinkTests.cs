using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Kiln.Core.Pipelines.StudyNotes;
using Kiln.Core.Tests.Support;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.IntegrationTests.Notes;

/// <summary>
/// Video links that must be refused: over the workspace's hourly downloader limit (counted in the database, so two
/// processes share it), longer than a link may be (a page whose metadata says four hours, a direct four-hour file), and
/// a link nothing answers on. Each refusal fails the job with a clear code, releases its hold and leaves nothing behind.
/// </summary>
public sealed class StudyNotesLinkTests(PostgresServer pg)
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task The_downloader_limit_per_workspace_holds_across_two_processes_and_resets_with_the_hour(string provider)
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 10, 5, 0, TimeSpan.Zero));
        var settings = new Dictionary<string, string?> { ["Kiln:StudyNotes:Downloader:PerWorkspacePerHour"] = "2" };
        void Clock(IServiceCollection s) => s.AddSingleton<TimeProvider>(clock);
        await using var first = await KilnTestHost.StartAsync(provider, pg, worker: false, overrides: settings, services: Clock);
        await using var second = KilnTestHost.Start(first.Database, worker: false, overrides: settings, services: Clock);

        async Task<string?> Hit(KilnTestHost process, Guid workspace)
        {
            await using var scope = process.Services.CreateAsyncScope();
            try
            {
                await scope.ServiceProvider.GetRequiredService<DownloaderRateLimit>().HitAsync(workspace, TestContext.Current.CancellationToken);
                return null;
            }
            catch (Kiln.Core.Pipelines.PipelineException e)
            {
                e.Transient.ShouldBeTrue("a limited fetch is retried later, not failed");
                return e.Code;
            }
        }

        var w = Guid.NewGuid();
        (await Hit(first, w)).ShouldBeNull();
        (await Hit(second, w)).ShouldBeNull();
        (await Hit(first, w)).ShouldBe("link_rate_limited", "the second process's fetch counts against the same hour");
        (await Hit(second, w)).ShouldBe("link_rate_limited");
        (await Hit(second, Guid.NewGuid())).ShouldBeNull("another workspace has its own count");

        clock.Advance(TimeSpan.FromMinutes(56)); // 11:01, the next hour
        (await Hit(second, w)).ShouldBeNull();
        (await Hit(first, w)).ShouldBeNull();
        (await Hit(first, w)).ShouldBe("link_rate_limited");
    }

    [Fact]
    public async Task A_page_link_over_the_limit_fails_the_job_before_the_downloader_runs_and_releases_the_hold()
    {
        await using var site = await SourceServer.StartAsync(_ => new() { ["/watch"] = ctx => Html(ctx, "<p>Lecture</p>") });
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, overrides: new Dictionary<string, string?>
        {
            ["Kiln:Uploads:AllowPrivateUrls"] = "true",
            ["Kiln:StudyNotes:Downloader:PerWorkspacePerHour"] = "0",
            ["Kiln:Jobs:MaxAttempts"] = "1",
        });
        var user = await host.SignUpAsync();
        var job = await (await user.Client.PostAsJsonAsync("/api/jobs", new { pipeline = "study-notes", options = new { link = site.Url + "/watch" } })).Json(HttpStatusCode.Created);
        var failed = await user.Client.WaitForJob(job.Id(), "succeeded", "failed");
        failed.GetProperty("errorCode").GetString().ShouldBe("link_rate_limited", failed.ToString());
        (await user.Client.Balance()).GetProperty("available").GetInt64().ShouldBe(25);
    }

    [Fact]
    public async Task A_link_to_a_four_hour_video_is_refused_with_the_hold_released_and_nothing_created()
    {
        const string provider = "sqlite"; // the refusal is the pipeline's; the database only holds the hold and the upload
        var longMp3 = await FourHourMp3Async();
        var bytes = await File.ReadAllBytesAsync(longMp3, TestContext.Current.CancellationToken);
        // A page whose JSON-LD says the video lasts four hours (yt-dlp's generic extractor reads it): refused on the
        // metadata, before the media is fetched; and the same length as a file linked directly, read by ffprobe.
        static string Page(int port) => $$"""
            <script type="application/ld+json">{"@context":"https://schema.org","@type":"VideoObject","name":"A whole semester in one sitting",
            "duration":"PT4H","contentUrl":"http://127.0.0.1:{{port}}/semester.mp3","uploadDate":"2026-01-01","thumbnailUrl":"http://127.0.0.1:{{port}}/semester.jpg"}</script>
            <p>The whole course.</p>
            """;
        await using var site = await SourceServer.StartAsync(port => new()
        {
            ["/watch"] = ctx => Html(ctx, Page(port)),
            ["/semester.mp3"] = ctx => { ctx.Response.ContentType = "audio/mpeg"; ctx.Response.ContentLength = bytes.Length; return ctx.Response.Body.WriteAsync(bytes).AsTask(); },
        });
        await using var host = await KilnTestHost.StartAsync(provider, pg, overrides: new Dictionary<string, string?>
        {
            ["Kiln:Uploads:AllowPrivateUrls"] = "true",
        });
        var user = await host.SignUpAsync();

        var pageJob = await (await user.Client.PostAsJsonAsync("/api/jobs", new { pipeline = "study-notes", options = new { link = site.Url + "/watch" } })).Json(HttpStatusCode.Created);
        var fromPage = await user.Client.WaitForJob(pageJob.Id(), "succeeded", "failed");
        fromPage.GetProperty("status").GetString().ShouldBe("failed");
        fromPage.GetProperty("errorCode").GetString().ShouldBe("too_long", fromPage.ToString());
        // 240 is the page's "PT4H": the metadata refused it (the file itself is 241 minutes long, see below).
        fromPage.GetProperty("errorMessage").GetString()!.ShouldContain("240 minutes");

        var fileJob = await (await user.Client.PostAsJsonAsync("/api/jobs", new { pipeline = "study-notes", options = new { link = site.Url + "/semester.mp3" } })).Json(HttpStatusCode.Created);
        var fromFile = await user.Client.WaitForJob(fileJob.Id(), "succeeded", "failed");
        fromFile.GetProperty("errorCode").GetString().ShouldBe("too_long", fromFile.ToString());
        fromFile.GetProperty("errorMessage").GetString()!.ShouldContain("241 minutes long; links may be at most 20 minutes");

        (await user.Client.Balance()).GetProperty("available").GetInt64().ShouldBe(25, "both holds are released");
        (await (await user.Client.GetAsync("/api/notes")).Json(HttpStatusCode.OK)).GetProperty("total").GetInt32().ShouldBe(0);
        await using (var db = host.NewDbContext())
        {
            (await db.Uploads.IgnoreQueryFilters().CountAsync(u => u.WorkspaceId == user.WorkspaceId, TestContext.Current.CancellationToken)).ShouldBe(0, "the imported file is deleted with its bytes");
            await DbAssertions.LedgerBalances(db);
        }
        (Directory.Exists(host.BlobPath) ? Directory.GetFiles(host.BlobPath, "*", SearchOption.AllDirectories) : []).ShouldBeEmpty();
    }

    [Fact]
    public async Task An_unreachable_link_fails_clearly_and_releases_the_hold()
    {
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0)) { l.Start(); port = ((IPEndPoint)l.LocalEndpoint).Port; }
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, overrides: new Dictionary<string, string?> { ["Kiln:Uploads:AllowPrivateUrls"] = "true" });
        var user = await host.SignUpAsync();
        var job = await (await user.Client.PostAsJsonAsync("/api/jobs", new { pipeline = "study-notes", options = new { link = $"http://127.0.0.1:{port}/lecture.mp4" } })).Json(HttpStatusCode.Created);
        var failed = await user.Client.WaitForJob(job.Id(), "succeeded", "failed");
        failed.GetProperty("status").GetString().ShouldBe("failed");
        failed.GetProperty("errorCode").GetString().ShouldBe("url_fetch_failed", failed.ToString());
        failed.GetProperty("errorMessage").GetString()!.ShouldContain("127.0.0.1");
        (await user.Client.Balance()).GetProperty("available").GetInt64().ShouldBe(25);
        (await (await user.Client.GetAsync("/api/notes")).Json(HttpStatusCode.OK)).GetProperty("total").GetInt32().ShouldBe(0);
    }

    private static Task Html(HttpContext ctx, string body)
    {
        ctx.Response.ContentType = "text/html; charset=utf-8";
        return ctx.Response.WriteAsync($"<!DOCTYPE html><html><head><title>A whole semester in one sitting</title></head><body>{body}</body></html>");
    }

    /// <summary>Four hours of 8 kbit/s silence (14 MB) in about a second: one minute encoded, then copied 240 times.</summary>
    private static async Task<string> FourHourMp3Async()
    {
        var dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "kiln-test-speech")).FullName;
        var path = Path.Combine(dir, "four-hours-v1.mp3");
        if (File.Exists(path)) return path;
        var minute = Path.Combine(dir, $"minute-{Guid.NewGuid():N}.mp3");
        var temp = path + $".{Guid.NewGuid():N}.mp3";
        await RunAsync("-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "60", "-c:a", "libmp3lame", "-b:a", "8k", minute);
        await RunAsync("-stream_loop", "239", "-i", minute, "-c", "copy", temp);
        File.Delete(minute);
        File.Move(temp, path, overwrite: true);
        return path;
    }

    private static async Task RunAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in (string[])["-v", "error", "-y", .. args]) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0) throw new InvalidOperationException("ffmpeg failed: " + await err);
    }
}
