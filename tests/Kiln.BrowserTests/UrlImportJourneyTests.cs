using System.Text.RegularExpressions;
using Kiln.Core.Data;
using Kiln.Core.Tests.Support;
using Kiln.Core.Uploads;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kiln.BrowserTests;

/// <summary>"…or paste a link" on the New job page, with and without JavaScript, against a local file server.</summary>
public sealed class UrlImportJourneyTests(KilnApp app)
{
    private static readonly byte[] Pdf = TestPdf.Create(pages: 3);

    private static string Email(string tag) => $"{tag}-{Guid.NewGuid():N}"[..20] + "@example.com";

    /// <param name="hold">When given, the PDF is only sent once it completes, so the page's busy state can be checked.</param>
    private static Task<SourceServer> StartSourceAsync(Task? hold = null) => SourceServer.StartAsync(_ => new()
    {
        ["/papers/kilns.pdf"] = async ctx =>
        {
            if (hold is not null) await hold.WaitAsync(TimeSpan.FromSeconds(60));
            ctx.Response.ContentType = "application/pdf";
            ctx.Response.ContentLength = Pdf.Length;
            await ctx.Response.Body.WriteAsync(Pdf);
        },
        ["/about"] = async ctx =>
        {
            ctx.Response.ContentType = "text/html";
            await ctx.Response.WriteAsync("<!doctype html><title>About</title>");
        },
    });

    [Fact]
    public async Task A_pasted_link_becomes_the_input_of_a_job_that_succeeds()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var source = await StartSourceAsync(release.Task);
        await using var s = await BrowserSession.OpenAsync(app, nameof(A_pasted_link_becomes_the_input_of_a_job_that_succeeds));
        await s.SignUpAsync(Email("link"));
        await s.GoAsync("/jobs/new?pipelineId=pdf-echo");
        var link = s.Page.GetByLabel("…or paste a link to the file");
        var fetch = s.Page.GetByRole(AriaRole.Button, new() { Name = "Fetch file" });
        var error = s.Page.Locator("#slot-source-error");

        // A missing file: a sentence next to the field, not a code, and the field is marked invalid.
        await link.FillAsync(source.Url + "/missing.pdf");
        await fetch.ClickAsync();
        await Expect(error).ToContainTextAsync("answered 404");
        (await error.TextContentAsync())!.ShouldNotContain("url_fetch_failed");
        await Expect(link).ToHaveAttributeAsync("aria-invalid", "true");
        (await link.GetAttributeAsync("aria-describedby"))!.ShouldContain("slot-source-error");
        await s.ShotAsync("link-404");

        // A page instead of a file.
        await link.FillAsync(source.Url + "/about");
        await Expect(link).ToHaveAttributeAsync("aria-invalid", "false");
        await fetch.ClickAsync();
        await Expect(error).ToContainTextAsync("not a supported file");
        await s.ShotAsync("link-page");

        await link.FillAsync(source.Url + "/papers/kilns.pdf");
        await fetch.ClickAsync();
        await Expect(s.Page.Locator("#slot-source-status")).ToHaveAttributeAsync("data-state", "fetching");
        await Expect(s.Page.Locator("#slot-source [data-import]")).ToHaveAttributeAsync("aria-busy", "true");
        await Expect(s.Page.Locator("#start-button")).ToBeDisabledAsync();
        await s.ShotAsync("link-fetching");
        release.SetResult();
        await Expect(s.Page.Locator("#slot-source-status")).ToHaveAttributeAsync("data-state", "ready", new() { Timeout = 60_000 });
        await Expect(s.Page.Locator("#slot-source-status")).ToHaveTextAsync("kilns.pdf is uploaded and ready (pdf).");
        await Expect(error).ToBeEmptyAsync();
        await Expect(s.Page.Locator("#estimate-cost")).ToHaveTextAsync("3 credits");
        await s.ShotAsync("link-ready");
        await s.MobileShotAsync("new-job-link");

        var uploadId = Guid.Parse(await s.Page.Locator("#slot-source-upload-id").InputValueAsync());
        var upload = await app.WithScope(sp => sp.GetRequiredService<KilnDbContext>().Uploads.AsNoTracking().SingleAsync(u => u.Id == uploadId));
        upload.Status.ShouldBe(UploadStatus.Ready);
        upload.Size.ShouldBe(Pdf.Length);

        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Start job" }).ClickAsync();
        await s.Page.WaitForURLAsync(new Regex("/jobs/[0-9a-f-]{36}$"));
        await Expect(s.Page.Locator("[data-preview=markdown]")).ToContainTextAsync($"Size: {Pdf.Length} bytes", new() { Timeout = 60_000 });
        // The live badge can miss a status that lands while the page renders (a job this fast); the page itself cannot.
        await s.Page.ReloadAsync();
        await Expect(s.Page.Locator(".page-head .badge")).ToHaveTextAsync("succeeded");
        await s.ShotAsync("link-job-done");
    }

    [Fact]
    public async Task A_link_works_with_JavaScript_off()
    {
        await using var source = await StartSourceAsync();
        await using var s = await BrowserSession.OpenAsync(app, nameof(A_link_works_with_JavaScript_off), javaScript: false);
        await s.SignUpAsync(Email("link-nojs"));
        await s.GoAsync("/jobs/new?pipelineId=pdf-echo");
        var link = s.Page.GetByLabel("…or paste a link to the file");
        var fetch = s.Page.GetByRole(AriaRole.Button, new() { Name = "Fetch file" });

        // "Start job" with a link that was never fetched fetches it first; a bad one starts nothing.
        await link.FillAsync("ftp://example.com/paper.pdf");
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Start job" }).ClickAsync();
        await Expect(s.Page.Locator("#slot-source-error")).ToContainTextAsync("Only http:// and https:// links");
        await Expect(link).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(link).ToHaveValueAsync("ftp://example.com/paper.pdf");
        await Expect(link).ToBeFocusedAsync();
        new Uri(s.Page.Url).AbsolutePath.ShouldBe("/jobs/new");
        await s.ShotAsync("link-invalid");

        await link.FillAsync(source.Url + "/papers/kilns.pdf");
        await s.Page.GetByLabel("Title (optional)").FillAsync("From a link");
        await fetch.ClickAsync();
        await Expect(s.Page.Locator("#slot-source-status")).ToHaveTextAsync("kilns.pdf is uploaded and ready (pdf).");
        await Expect(s.Page.Locator("#slot-source-error")).ToBeEmptyAsync();
        await Expect(s.Page.Locator("#estimate-cost")).ToHaveTextAsync("3 credits");
        // The options typed before fetching survive the round trip.
        await Expect(s.Page.GetByLabel("Title (optional)")).ToHaveValueAsync("From a link");
        await s.ShotAsync("link-ready");

        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Start job" }).ClickAsync();
        try
        {
            await s.Page.WaitForURLAsync(new Regex("/jobs/[0-9a-f-]{36}$"));
        }
        catch (TimeoutException)
        {
            // Say where the browser ended up instead of only "timeout".
            await s.ShotAsync("start-did-not-navigate");
            var notices = await s.Page.Locator(".notice, .field-error, .upload-status").AllInnerTextsAsync();
            throw new TimeoutException($"Start did not open the job page; at {s.Page.Url}: {string.Join(" | ", notices)}");
        }
        for (var i = 0; i < 60 && await s.Page.Locator(".page-head .badge").TextContentAsync() != "succeeded"; i++)
        {
            await Task.Delay(500);
            await s.Page.ReloadAsync();
        }
        await Expect(s.Page.Locator(".page-head .badge")).ToHaveTextAsync("succeeded");
        await s.ShotAsync("link-job-done");
    }
}
