using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kiln.BrowserTests;

/// <summary>A podcaster's first episode in a real browser: show with artwork, episode from an upload, publish, listen.</summary>
public sealed class PodcastJourneyTests(KilnApp app)
{
    private static string Email(string tag) => $"{tag}-{Guid.NewGuid():N}"[..20] + "@example.com";

    [Fact]
    public async Task Create_a_show_with_artwork_publish_an_uploaded_episode_and_seek_from_the_transcript()
    {
        var dir = Directory.CreateTempSubdirectory("kiln-podcast-journey-");
        try
        {
            var small = Ffmpeg(dir.FullName, "small.jpg", "-f", "lavfi", "-i", "color=c=0x3366cc:s=1200x1200", "-frames:v", "1");
            var cover = Ffmpeg(dir.FullName, "cover.jpg", "-f", "lavfi", "-i", "color=c=0x3366cc:s=1400x1400", "-frames:v", "1");
            var take = Ffmpeg(dir.FullName, "take1.mp3", "-f", "lavfi", "-i", "sine=f=330:d=6", "-ac", "1", "-b:a", "64k");

            await using var s = await BrowserSession.OpenAsync(app, nameof(Create_a_show_with_artwork_publish_an_uploaded_episode_and_seek_from_the_transcript));
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
            await s.Page.Locator("#audio-file").SetInputFilesAsync(take);
            await Expect(s.Page.Locator("#audio-status")).ToContainTextAsync("is ready");
            await s.Page.GetByRole(AriaRole.Button, new() { Name = "Create episode" }).ClickAsync();
            await s.Page.WaitForURLAsync(new Regex("/episodes/[0-9a-f-]{36}$"));
            var editor = s.Page.Url;
            for (var i = 0; i < 100 && await s.Page.Locator("#episode-status").InnerTextAsync() != "ready"; i++)
            {
                await Task.Delay(300);
                await s.GoAsync(new Uri(editor).PathAndQuery);
            }
            await Expect(s.Page.Locator("#episode-status")).ToHaveTextAsync("ready");
            await Expect(s.Page.GetByLabel("Show notes")).ToHaveValueAsync(new Regex("Why kilns crack"));
            // The show notes' raw HTML stays text in the preview.
            await Expect(s.Page.Locator("#notes-preview script")).ToHaveCountAsync(0);
            await s.Page.GetByLabel("Show notes").FillAsync("## In this episode\n\nFiring **clay**.");
            await s.Page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
            await Expect(s.Page.GetByText("Episode saved.")).ToBeVisibleAsync();
            await Expect(s.Page.Locator("#notes-preview strong")).ToHaveTextAsync("clay");
            await s.Page.GetByRole(AriaRole.Button, new() { Name = "Publish now" }).ClickAsync();
            await Expect(s.Page.Locator("#episode-status")).ToHaveTextAsync("published");
            await s.ShotAsync("episode-published");

            await s.Page.Locator("#public-page").ClickAsync();
            await Expect(s.Page.GetByRole(AriaRole.Heading, new() { Name = "Pilot" })).ToBeVisibleAsync();
            await Expect(s.Page.Locator("#waveform canvas").First).ToBeAttachedAsync();
            await s.Page.GetByRole(AriaRole.Button, new() { Name = "Play" }).ClickAsync();
            await s.Page.WaitForFunctionAsync("() => document.getElementById('audio').currentTime > 0.2");
            await Expect(s.Page.GetByRole(AriaRole.Button, new() { Name = "Pause" })).ToBeVisibleAsync();
            // The second transcript line starts at half the duration (3 s): clicking it seeks there and highlights it.
            await s.Page.Locator("#transcript .cue").Nth(1).ClickAsync();
            await s.Page.WaitForFunctionAsync("() => { const t = document.getElementById('audio').currentTime; return t >= 3 && t < 5; }");
            await Expect(s.Page.Locator("#transcript .cue").Nth(1)).ToHaveClassAsync(new Regex("cue-current"));
            // Keyboard: focus the waveform and step back five seconds.
            await s.Page.Locator("#waveform").FocusAsync();
            await s.Page.Keyboard.PressAsync("ArrowLeft");
            await s.Page.WaitForFunctionAsync("() => document.getElementById('audio').currentTime < 2.5");
            await s.Page.GetByLabel("Speed").SelectOptionAsync("1.5");
            (await s.Page.EvaluateAsync<double>("() => document.getElementById('audio').playbackRate")).ShouldBe(1.5);
            await s.ShotAsync("public-episode");
        }
        finally
        {
            dir.Delete(recursive: true);
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
