using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kiln.BrowserTests;

/// <summary>A podcaster's first episode in a real browser: show with artwork, an episode recorded in the browser (with a closed tab in the middle), publish, listen.</summary>
public sealed class PodcastJourneyTests(KilnApp app)
{
    private static string Email(string tag) => $"{tag}-{Guid.NewGuid():N}"[..20] + "@example.com";

    [Fact]
    public async Task Create_a_show_with_artwork_record_an_episode_across_a_closed_tab_publish_it_and_seek_from_the_transcript()
    {
        var dir = Directory.CreateTempSubdirectory("kiln-podcast-journey-");
        try
        {
            var small = Ffmpeg(dir.FullName, "small.jpg", "-f", "lavfi", "-i", "color=c=0x3366cc:s=1200x1200", "-frames:v", "1");
            var cover = Ffmpeg(dir.FullName, "cover.jpg", "-f", "lavfi", "-i", "color=c=0x3366cc:s=1400x1400", "-frames:v", "1");

            await using var s = await BrowserSession.OpenAsync(app, nameof(Create_a_show_with_artwork_record_an_episode_across_a_closed_tab_publish_it_and_seek_from_the_transcript));
            await s.GoAsync("/");
            await s.SignUpAsync(Email("podcaster"));
            await s.GoAsync("/shows");
            await Expect(s.Page.GetByRole(AriaRole.Heading, new() { Name = "No shows yet" })).ToBeVisibleAsync();
            await s.Page.GetByRole(AriaRole.Link, new() { Name = "Create your show" }).ClickAsync();

            await s.Page.GetByLabel("Title", new() { Exact = true }).FillAsync("Kiln Talk Browser");
            // Too small: the server's sentence appears beside the field, and nothing is kept.
            await s.Page.Locator("#artwork-file").SetInputFilesAsync(small);
            await Expect(s.Page.Locator("#artwork-status")).ToHaveTextAsync("The artwork is 1200×1200 px; Apple needs at least 1400×1400.");
            await s.Page.Locator("#artwork-file").SetInputFilesAsync(cover);
            await Expect(s.Page.Locator("#artwork-status")).ToContainTextAsync("is ready (1400×1400 px)");
            await s.Page.GetByLabel("Apple Podcasts category").SelectOptionAsync("Arts|Visual Arts");
            await s.Page.GetByLabel("Owner email").FillAsync("owner@example.com");
            await s.Page.GetByLabel("People").FillAsync("Ada Potter, host");
            await s.Page.GetByRole(AriaRole.Button, new() { Name = "Create show" }).ClickAsync();
            await s.Page.WaitForURLAsync(new Regex("/shows/[0-9a-f-]{36}$"));
            await Expect(s.Page.Locator("#feed-url")).ToHaveValueAsync(new Regex("/feeds/kiln-talk-browser\\.xml$"));
            await s.ShotAsync("show-created");

            await s.Page.GetByLabel("Title", new() { Exact = true }).FillAsync("Pilot");
            await s.Page.GetByRole(AriaRole.Button, new() { Name = "Create episode" }).ClickAsync();
            await s.Page.WaitForURLAsync(new Regex("/episodes/[0-9a-f-]{36}$"));
            var editor = s.Page.Url;

            // Record in the browser (Chromium's fake microphone plays the fixture's WAV). Only this page may use the microphone.
            var editorPage = await s.GoAsync(new Uri(editor).PathAndQuery);
            (await editorPage!.HeaderValueAsync("permissions-policy"))!.ShouldContain("microphone=()");
            await s.Page.Locator("#record-link").ClickAsync();
            await s.Page.WaitForURLAsync(new Regex("/record$"));
            var recordUrl = new Uri(s.Page.Url).PathAndQuery;
            (await (await s.Page.ReloadAsync())!.HeaderValueAsync("permissions-policy"))!.ShouldContain("microphone=(self)");
            await s.Page.GetByRole(AriaRole.Button, new() { Name = "Start recording" }).ClickAsync();
            await Expect(s.Page.Locator("#recorder")).ToHaveAttributeAsync("data-state", "recording");
            await s.Page.WaitForFunctionAsync("() => document.getElementById('level').value > 0.05");
            await Expect(s.Page.GetByRole(AriaRole.Button, new() { Name = "Pause" })).ToBeEnabledAsync();
            // The first 10 s chunk reaches the server; then the tab closes mid-way through the second.
            await Expect(s.Page.Locator("#rec-status")).ToContainTextAsync("(chunk 1)", new() { Timeout = 30_000 });
            await Task.Delay(1500);
            await s.ShotAsync("recording");
            await s.Page.CloseAsync();

            var again = await s.Page.Context.NewPageAsync();
            await again.GotoAsync(recordUrl);
            // About 10 s were saved: the page measures each chunk's length itself, so a slow machine may show 00:09.
            await Expect(again.Locator("#interrupted strong")).ToHaveTextAsync(new Regex("^00:(09|10|11)$"));
            await again.GetByRole(AriaRole.Button, new() { Name = "Resume recording" }).ClickAsync();
            await Expect(again.Locator("#recorder")).ToHaveAttributeAsync("data-state", "recording");
            await again.GetByRole(AriaRole.Button, new() { Name = "Pause" }).ClickAsync();
            await Expect(again.Locator("#recorder")).ToHaveAttributeAsync("data-state", "paused");
            await again.GetByRole(AriaRole.Button, new() { Name = "Continue" }).ClickAsync();
            await again.WaitForFunctionAsync("() => document.getElementById('timer').textContent >= '00:12'");
            await again.GetByRole(AriaRole.Button, new() { Name = "Stop and process" }).ClickAsync();
            await again.WaitForURLAsync(new Regex("/episodes/[0-9a-f-]{36}$"), new() { Timeout = 60_000 });
            var page = again;
            for (var i = 0; i < 100 && await page.Locator("#episode-status").InnerTextAsync() != "ready"; i++)
            {
                await Task.Delay(300);
                await page.GotoAsync(new Uri(editor).PathAndQuery);
            }
            await Expect(page.Locator("#episode-status")).ToHaveTextAsync("ready");
            // Before/after: the editor's player switches between the processed episode and the raw recording at the same moment.
            await page.WaitForFunctionAsync("() => document.getElementById('episode-audio').readyState >= 1");
            await page.EvaluateAsync("() => { document.getElementById('episode-audio').currentTime = 4; }");
            await page.WaitForFunctionAsync("() => Math.abs(document.getElementById('episode-audio').currentTime - 4) < 0.3");
            await page.GetByLabel("Before (original)").CheckAsync();
            await page.WaitForFunctionAsync("() => { const a = document.getElementById('episode-audio'); return a.dataset.side === 'raw' && a.currentSrc.includes('uploads') && Math.abs(a.currentTime - 4) < 0.3; }");
            await page.GetByLabel("After (processed)").CheckAsync();
            await page.WaitForFunctionAsync("() => { const a = document.getElementById('episode-audio'); return a.dataset.side === 'processed' && Math.abs(a.currentTime - 4) < 0.3; }");
            await Expect(page.GetByLabel("Show notes")).ToHaveValueAsync(new Regex("Why kilns crack"));
            // The show notes' raw HTML stays text in the preview.
            await Expect(page.Locator("#notes-preview script")).ToHaveCountAsync(0);
            await page.GetByLabel("Show notes").FillAsync("## In this episode\n\nFiring **clay**.");
            await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
            await Expect(page.GetByText("Episode saved.")).ToBeVisibleAsync();
            await Expect(page.Locator("#notes-preview strong")).ToHaveTextAsync("clay");
            await page.GetByRole(AriaRole.Button, new() { Name = "Publish now" }).ClickAsync();
            await Expect(page.Locator("#episode-status")).ToHaveTextAsync("published");
            await Shot(page, "episode-published");

            await page.Locator("#public-page").ClickAsync();
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Pilot" })).ToBeVisibleAsync();
            await Expect(page.Locator("#waveform canvas").First).ToBeAttachedAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Play" }).ClickAsync();
            await page.WaitForFunctionAsync("() => document.getElementById('audio').currentTime > 0.2");
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Pause" })).ToBeVisibleAsync();
            // The second transcript line starts at half the duration (about 6 s): clicking it seeks there and highlights it.
            var half = await page.EvaluateAsync<double>("() => document.getElementById('audio').duration / 2");
            half.ShouldBeInRange(5.5, 7.5, "the recording is about 12 s: 10 s before the tab closed, 2 s more after resuming");
            await page.Locator("#transcript .cue").Nth(1).ClickAsync();
            await page.WaitForFunctionAsync("h => { const t = document.getElementById('audio').currentTime; return t >= h - 0.1 && t < h + 2; }", half);
            await Expect(page.Locator("#transcript .cue").Nth(1)).ToHaveClassAsync(new Regex("cue-current"));
            // Keyboard: focus the waveform and step back five seconds.
            await page.Locator("#waveform").FocusAsync();
            await page.Keyboard.PressAsync("ArrowLeft");
            await page.WaitForFunctionAsync("h => document.getElementById('audio').currentTime < h - 2.5", half);
            await page.GetByLabel("Speed").SelectOptionAsync("1.5");
            (await page.EvaluateAsync<double>("() => document.getElementById('audio').playbackRate")).ShouldBe(1.5);
            await Shot(page, "public-episode");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>A record for people, not an assertion (the reopened tab is not the session's own page).</summary>
    private static async Task Shot(IPage page, string name)
    {
        try
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(AppContext.BaseDirectory, "screenshots", nameof(PodcastJourneyTests), name + ".png"), FullPage = true });
        }
        catch (PlaywrightException)
        {
        }
    }

    private static string Ffmpeg(string dir, string name, params string[] args)
    {
        var path = Path.Combine(dir, name);
        var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true };
        foreach (var a in new[] { "-v", "error", "-y" }.Concat(args).Append(path)) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        p.ExitCode.ShouldBe(0, err);
        return path;
    }
}
