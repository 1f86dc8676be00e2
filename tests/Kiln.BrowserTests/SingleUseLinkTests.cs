using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kiln.BrowserTests;

/// <summary>A single-use link made on the job page downloads the file once; the same link again shows why it no longer works.</summary>
public sealed class SingleUseLinkTests(KilnApp app)
{
    [Fact]
    public async Task A_single_use_link_downloads_once_and_then_explains_that_it_was_used()
    {
        await using var s = await BrowserSession.OpenAsync(app, nameof(A_single_use_link_downloads_once_and_then_explains_that_it_was_used));
        await s.SignUpAsync($"once-{Guid.NewGuid():N}"[..20] + "@example.com");
        await s.GoAsync("/jobs/new?pipelineId=sleep");
        await s.Page.GetByLabel("Seconds (optional)", new() { Exact = true }).FillAsync("1");
        await s.Page.GetByLabel("Cost (optional)", new() { Exact = true }).FillAsync("0");
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Start job" }).ClickAsync();
        await s.Page.WaitForURLAsync(new Regex("/jobs/[0-9a-f-]{36}$"));
        var jobPath = new Uri(s.Page.Url).AbsolutePath;
        // The files are listed once the job has succeeded (a moment after the bar reaches 100 %): reload until they are.
        var button = s.Page.Locator("button[data-single-use='sleep.txt']");
        for (var deadline = DateTime.UtcNow.AddSeconds(60); await button.CountAsync() == 0 && DateTime.UtcNow < deadline;)
        {
            await Task.Delay(500);
            await s.Page.GotoAsync(jobPath);
        }

        await button.ClickAsync();
        var shown = s.Page.Locator("[data-single-use-link='sleep.txt'] a");
        await Expect(shown).ToBeVisibleAsync();
        await s.ShotAsync("link-shown");
        var url = (await shown.GetAttributeAsync("href"))!;
        url.ShouldContain("/links/");

        var download = await s.Page.RunAndWaitForDownloadAsync(() => shown.ClickAsync());
        download.SuggestedFilename.ShouldBe("sleep.txt");
        (await File.ReadAllTextAsync((await download.PathAsync())!)).ShouldContain("slept 1 s");

        // The link is not shown again after a reload, and the second use is refused with a sentence, not bytes.
        await s.GoAsync(jobPath);
        (await s.Page.Locator("[data-single-use-link]").CountAsync()).ShouldBe(0);
        var again = await s.GoAsync(url);
        again!.Status.ShouldBe(410);
        await Expect(s.Page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("This link has already been used");
        await Expect(s.Page.Locator("#link-problem")).ToContainTextAsync("Ask the sender for a new link.");
    }
}
