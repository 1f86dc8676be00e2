using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Kiln.Core.Data;
using Kiln.Core.Media.Speech;
using Kiln.Core.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kiln.BrowserTests;

/// <summary>
/// A dub from the browser, offline (pocketsphinx, Apertium, espeak-ng): two languages chosen on the New job form, a voice
/// picked per language by keyboard (premium voices shown but locked on the free plan), each language's progress bar moving
/// on its own on the job page, one language's video and captions downloaded and checked, a single-use link used twice,
/// and the 48-hour countdown with its "Delete now" button.
/// </summary>
public sealed class DubbingJourneyTests(KilnApp app)
{
    // Records what each language's bar shows, as often as the page paints, from before the job page's scripts run.
    private const string BarSampler = """
        window.__bars = [];
        setInterval(() => {
          const rows = [...document.querySelectorAll('#subtask-list [data-subtask]')];
          if (rows.length === 0) return;
          const seen = rows.map((r) => `${r.dataset.subtask}=${r.querySelector('progress').value}`).join(' ');
          if (window.__bars[window.__bars.length - 1] !== seen) window.__bars.push(seen);
        }, 20);
        """;

    [Fact]
    public async Task A_video_dubbed_into_spanish_and_catalan_moves_per_language_and_downloads_checked_files()
    {
        var video = TestFiles.SpokenVideo("Welcome to the studio.", "Today we talk about the weather.", "Thank you for listening.");
        await using var s = await BrowserSession.OpenAsync(app, nameof(A_video_dubbed_into_spanish_and_catalan_moves_per_language_and_downloads_checked_files));
        await s.SignUpAsync($"dub-{Guid.NewGuid():N}"[..20] + "@example.com");
        await s.GoAsync("/jobs/new?pipelineId=dubbing");
        await s.Page.Locator("#slot-voice-file").SetInputFilesAsync(new FilePayload { Name = "talk.mp4", MimeType = "video/mp4", Buffer = video });
        await Expect(s.Page.Locator("#slot-voice-status")).ToHaveAttributeAsync("data-state", "ready", new() { Timeout = 30_000 });

        // Two languages: the typed pairs give way to one list of voices per language.
        await Expect(s.Page.Locator("#opt-voices")).ToBeHiddenAsync();
        // The languages offered here (Apertium's installed pairs from English) are ticked, not typed; Spanish is the default.
        await Expect(s.Page.Locator("#opt-targetLanguages")).ToBeHiddenAsync();
        await Expect(s.Page.GetByRole(AriaRole.Checkbox, new() { Name = "Spanish (es)" })).ToBeCheckedAsync();
        await s.Page.GetByRole(AriaRole.Checkbox, new() { Name = "Catalan (ca)" }).CheckAsync();
        await Expect(s.Page.Locator("#opt-targetLanguages")).ToHaveValueAsync("es, ca");
        var spanish = s.Page.GetByLabel("Voice for Spanish (es)");
        var catalan = s.Page.GetByLabel("Voice for Catalan (ca)");
        await Expect(spanish).ToBeVisibleAsync();
        await Expect(catalan).ToBeVisibleAsync();
        await Expect(catalan.Locator("option[value='ca+f2']")).ToHaveTextAsync("Catalan, female 2");
        // Premium voices are listed, locked with the plan that has them, and the upgrade is one link away.
        var premium = catalan.Locator("option[value='elevenlabs:female']");
        await Expect(premium).ToBeDisabledAsync();
        await Expect(premium).ToContainTextAsync("Pro plan");
        await Expect(s.Page.Locator("#opt-voices-picker-premium")).ToContainTextAsync("Premium voices come with the Pro plan.");
        await Expect(s.Page.Locator("#opt-voices-picker-premium a")).ToHaveAttributeAsync("href", "/pricing");

        // By keyboard: Tab from the Spanish list reaches the Catalan one; arrows choose; the choice is what the form posts.
        await spanish.FocusAsync();
        await s.Page.Keyboard.PressAsync("Tab");
        await Expect(catalan).ToBeFocusedAsync();
        await s.Page.Keyboard.PressAsync("ArrowDown");
        await Expect(s.Page.Locator("#opt-voices")).ToHaveValueAsync("ca=male");
        await catalan.SelectOptionAsync("ca+f2");
        await Expect(s.Page.Locator("#opt-voices")).ToHaveValueAsync("ca=ca+f2");
        await Expect(s.Page.Locator("#estimate-lines")).ToContainTextAsync("Catalan (ca), seconds");
        await s.ShotAsync("voices-picked");
        await s.MobileShotAsync("dubbing-voices");

        await s.Page.AddInitScriptAsync(BarSampler);
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Start job" }).ClickAsync();
        await s.Page.WaitForURLAsync(new Regex("/jobs/[0-9a-f-]{36}$"));
        var jobPath = new Uri(s.Page.Url).AbsolutePath;
        var jobId = Guid.Parse(new Uri(s.Page.Url).Segments[^1]);
        await Expect(s.Page.Locator(".page-head .badge")).ToHaveTextAsync("succeeded", new() { Timeout = 180_000 });
        await Expect(s.Page.Locator("#subtasks-done")).ToHaveTextAsync("2");

        // Each bar moved, and they moved apart: at some moment the two languages stood at different values.
        var bars = (await s.Page.EvaluateAsync<string[]>("window.__bars")).Select(Snapshot).ToList();
        var seen = string.Join(" | ", bars.Select(b => string.Join(" ", b.Select(kv => $"{kv.Key}={kv.Value}"))));
        TestContext.Current.TestOutputHelper?.WriteLine($"Bars as painted: {seen}");
        bars.Select(b => b.GetValueOrDefault("es", -1)).Where(v => v >= 0).Distinct().Count().ShouldBeGreaterThan(1, seen);
        bars.Select(b => b.GetValueOrDefault("ca", -1)).Where(v => v >= 0).Distinct().Count().ShouldBeGreaterThan(1, seen);
        bars.ShouldContain(b => b.ContainsKey("es") && b.ContainsKey("ca") && b["es"] != b["ca"], seen);
        bars[^1].ShouldBe(new Dictionary<string, int> { ["es"] = 100, ["ca"] = 100 }, seen);
        var options = await app.WithScope(async sp => (await sp.GetRequiredService<KilnDbContext>().Jobs.IgnoreQueryFilters().AsNoTracking().SingleAsync(j => j.Id == jobId)).OptionsJson);
        var posted = JsonDocument.Parse(options).RootElement;
        posted.GetProperty("voices").EnumerateArray().Select(v => v.GetString()).ShouldBe(["ca=ca+f2"]);
        // A checked box posts its hidden "false" before "true": the form must read the box.
        posted.GetProperty("muxVideo").GetBoolean().ShouldBeTrue();

        // The Spanish video: the picture with the dubbed audio, tagged Spanish; the Spanish captions parse as WebVTT.
        await Expect(s.Page.Locator("a[data-download='dub-es.mp4']")).ToBeVisibleAsync();
        var mp4 = await DownloadAsync(s, "a[data-download='dub-es.mp4']", "dub-es.mp4");
        var streams = Probe(mp4);
        streams.ShouldContain("video,");
        streams.ShouldContain("audio,spa");
        var vtt = await File.ReadAllTextAsync(await DownloadAsync(s, "a[data-download='captions-es.vtt']", "captions-es.vtt"));
        vtt.ShouldStartWith("WEBVTT");
        var cues = CaptionParser.ParseWebVtt(vtt, "es").Segments;
        cues.ShouldNotBeEmpty();
        cues.ShouldAllBe(c => c.End > c.Start && c.End <= 10 && !string.IsNullOrWhiteSpace(c.Text));

        // Kept 48 hours: the countdown says so, and "Delete now" removes the files.
        await Expect(s.Page.Locator("#retention-countdown")).ToHaveTextAsync(new Regex(@"^in (47 h [0-9]{1,2}|48 h 0) min$"));

        // A single-use link for the Catalan captions: the first use downloads them, the second explains why it no longer works.
        await s.Page.Locator("button[data-single-use='captions-ca.vtt']").ClickAsync();
        var shown = s.Page.Locator("[data-single-use-link='captions-ca.vtt'] a");
        await Expect(shown).ToBeVisibleAsync();
        var url = (await shown.GetAttributeAsync("href"))!;
        var once = await s.Page.RunAndWaitForDownloadAsync(() => shown.ClickAsync());
        CaptionParser.ParseWebVtt(await File.ReadAllTextAsync((await once.PathAsync())!), "ca").Segments.ShouldNotBeEmpty();
        var again = await s.GoAsync(url);
        again!.Status.ShouldBe(410);
        await Expect(s.Page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToHaveTextAsync("This link has already been used");

        await s.GoAsync(jobPath);
        await s.Page.Locator("#delete-files-form button").ClickAsync();
        await s.Page.WaitForURLAsync(new Regex(Regex.Escape(jobPath) + "$"));
        await Expect(s.Page.Locator("#job-artifacts")).ToContainTextAsync("This job produced no files.");
        await Expect(s.Page.Locator("#retention-countdown")).ToHaveCountAsync(0);
        await s.ShotAsync("files-deleted");
    }

    [Fact]
    public async Task Without_JavaScript_the_voices_are_typed_and_the_default_voice_applies()
    {
        await using var s = await BrowserSession.OpenAsync(app, nameof(Without_JavaScript_the_voices_are_typed_and_the_default_voice_applies), javaScript: false);
        await s.SignUpAsync($"dub-nojs-{Guid.NewGuid():N}"[..20] + "@example.com");
        await s.GoAsync("/jobs/new?pipelineId=dubbing");
        await Expect(s.Page.Locator("#opt-voices-picker")).ToBeHiddenAsync();
        await Expect(s.Page.Locator("#opt-targetLanguages-choices")).ToBeHiddenAsync();
        await Expect(s.Page.GetByLabel("Target languages (optional)")).ToHaveValueAsync("es");
        await Expect(s.Page.GetByLabel("Voices per language (optional)")).ToBeVisibleAsync();
        await Expect(s.Page.GetByLabel("Voices per language (optional)")).ToHaveValueAsync("");
        await Expect(s.Page.GetByLabel("Voice (optional)", new() { Exact = true })).ToHaveValueAsync("male");
    }

    private static Dictionary<string, int> Snapshot(string seen) =>
        seen.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=')).ToDictionary(p => p[0], p => int.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture));

    private static async Task<string> DownloadAsync(BrowserSession s, string selector, string name)
    {
        var download = await s.Page.RunAndWaitForDownloadAsync(() => s.Page.Locator(selector).ClickAsync());
        download.SuggestedFilename.ShouldBe(name);
        return (await download.PathAsync())!;
    }

    /// <summary>ffprobe's reading of a file: one "type,language" line per stream.</summary>
    private static string Probe(string path)
    {
        var psi = new ProcessStartInfo("ffprobe") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-v", "error", "-show_entries", "stream=codec_type:stream_tags=language", "-of", "csv=p=0", path }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        p.ExitCode.ShouldBe(0);
        return output;
    }
}
