using System.Text.RegularExpressions;
using Kiln.Core.Data;
using Kiln.Core.Jobs;
using Kiln.Core.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Kiln.BrowserTests;

/// <summary>The New job form renders one file field per input slot: a two-slot pipeline (dubbing: voice + background) and a
/// pipeline that takes one of several inputs (study notes: a subtitle file instead of a video).</summary>
public sealed class NewJobSlotsTests(KilnApp app)
{
    private static string Email(string tag) => $"{tag}-{Guid.NewGuid():N}"[..20] + "@example.com";

    [Fact]
    public async Task Dubbing_takes_a_voice_and_a_background_each_in_its_own_field()
    {
        await using var s = await BrowserSession.OpenAsync(app, nameof(Dubbing_takes_a_voice_and_a_background_each_in_its_own_field));
        await s.SignUpAsync(Email("dub-form"));
        await s.GoAsync("/jobs/new?pipelineId=dubbing");

        var voice = s.Page.Locator("#slot-voice");
        var background = s.Page.Locator("#slot-background");
        await Expect(voice.Locator("legend")).ToHaveTextAsync("Voice track or video (required)");
        await Expect(background.Locator("legend")).ToHaveTextAsync("Background (music and effects) (optional)");
        (await s.Page.Locator("#slot-background-file").GetAttributeAsync("accept"))!.Split(',').ShouldContain(".wav");
        (await s.Page.Locator("#slot-background-file").GetAttributeAsync("accept"))!.Split(',').ShouldNotContain(".pdf");
        (await s.Page.Locator("#slot-voice-file").GetAttributeAsync("accept"))!.Split(',').ShouldContain(".mp4");

        // Starting without the required voice: the sentence stands beside the voice field, and nothing is created.
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Start job" }).ClickAsync();
        await Expect(s.Page.Locator("#slot-voice-error")).ToContainTextAsync("Voice track or video");
        await Expect(s.Page.Locator("#slot-background-error")).ToBeEmptyAsync();
        new Uri(s.Page.Url).AbsolutePath.ShouldBe("/jobs/new");
        await s.ShotAsync("voice-missing");

        // A file of the wrong kind in the background slot is refused beside that slot.
        await s.Page.Locator("#slot-background-file").SetInputFilesAsync(new FilePayload { Name = "notes.pdf", MimeType = "application/pdf", Buffer = TestFiles.Pdf() });
        await Expect(s.Page.Locator("#slot-background-status")).ToHaveAttributeAsync("data-state", "ready", new() { Timeout = 30_000 });
        await s.Page.Locator("#slot-voice-file").SetInputFilesAsync(new FilePayload { Name = "voice.wav", MimeType = "audio/wav", Buffer = TestFiles.Wav(3) });
        await Expect(s.Page.Locator("#slot-voice-status")).ToHaveAttributeAsync("data-state", "ready", new() { Timeout = 30_000 });
        await Expect(s.Page.Locator("#slot-background-error")).ToContainTextAsync("does not accept pdf files");
        await Expect(s.Page.Locator("#estimate-cost")).ToHaveTextAsync("—");

        // The right file: each slot has its own progress bar, and the estimate follows.
        await s.Page.Locator("#slot-background-file").SetInputFilesAsync(new FilePayload { Name = "music.wav", MimeType = "audio/wav", Buffer = TestFiles.Wav(3) });
        await Expect(s.Page.Locator("#slot-background-status")).ToHaveTextAsync("music.wav is uploaded and ready (audio).", new() { Timeout = 30_000 });
        await Expect(s.Page.Locator("#slot-background-progress")).ToHaveAttributeAsync("value", "100");
        await Expect(s.Page.Locator("#slot-voice-progress")).ToHaveAttributeAsync("value", "100");
        await Expect(s.Page.Locator("#slot-background-error")).ToBeEmptyAsync();
        await Expect(s.Page.Locator("#estimate-cost")).ToHaveTextAsync(new Regex(@"^\d+ credits?$"));
        await s.ShotAsync("both-slots");
        await s.MobileShotAsync("dubbing-slots");

        var voiceId = Guid.Parse(await s.Page.Locator("#slot-voice-upload-id").InputValueAsync());
        var backgroundId = Guid.Parse(await s.Page.Locator("#slot-background-upload-id").InputValueAsync());
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Start job" }).ClickAsync();
        await s.Page.WaitForURLAsync(new Regex("/jobs/[0-9a-f-]{36}$"));
        var jobId = Guid.Parse(new Uri(s.Page.Url).Segments[^1]);
        var inputs = await app.WithScope(async sp =>
        {
            var job = await sp.GetRequiredService<KilnDbContext>().Jobs.IgnoreQueryFilters().AsNoTracking().SingleAsync(j => j.Id == jobId);
            // The dub itself is tested elsewhere; this host need not spend its cores on it.
            await sp.GetRequiredService<CancelJobCommand>().Run(job.WorkspaceId, jobId, CancellationToken.None);
            return JobInput.Parse(job.InputsJson);
        });
        inputs.ShouldBe([new JobInput(voiceId, "voice"), new JobInput(backgroundId, "background")], ignoreOrder: true);
    }

    [Fact]
    public async Task Study_notes_offer_a_choice_of_input_and_run_from_a_subtitle_file()
    {
        await using var s = await BrowserSession.OpenAsync(app, nameof(Study_notes_offer_a_choice_of_input_and_run_from_a_subtitle_file));
        await s.SignUpAsync(Email("notes-form"));
        await s.GoAsync("/jobs/new?pipelineId=study-notes");

        // One choice at a time: the video field shows first, the others are hidden until chosen.
        await Expect(s.Page.GetByRole(AriaRole.Radio, new() { Name = "Lecture video or audio" })).ToBeCheckedAsync();
        await Expect(s.Page.Locator("#slot-media")).ToBeVisibleAsync();
        await Expect(s.Page.Locator("#slot-subtitles")).ToBeHiddenAsync();
        await s.Page.GetByRole(AriaRole.Radio, new() { Name = "Subtitle file (SRT or WebVTT)" }).CheckAsync();
        await Expect(s.Page.Locator("#slot-subtitles")).ToBeVisibleAsync();
        await Expect(s.Page.Locator("#slot-media")).ToBeHiddenAsync();
        (await s.Page.Locator("#slot-subtitles-file").GetAttributeAsync("accept")).ShouldBe(".srt,.vtt");
        await Expect(s.Page.Locator("#slot-subtitles-help")).ToContainTextAsync("no speech recognition");

        await s.Page.Locator("#slot-subtitles-file").SetInputFilesAsync(new FilePayload { Name = "lecture.srt", MimeType = "application/x-subrip", Buffer = System.Text.Encoding.UTF8.GetBytes(Lecture.Srt()) });
        await Expect(s.Page.Locator("#slot-subtitles-status")).ToHaveAttributeAsync("data-state", "ready", new() { Timeout = 30_000 });
        await Expect(s.Page.Locator("#estimate-lines")).ToContainTextAsync("estimated from the captions");
        await s.ShotAsync("subtitles-chosen");
        await s.MobileShotAsync("study-notes-choice");

        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Start job" }).ClickAsync();
        await s.Page.WaitForURLAsync(new Regex("/jobs/[0-9a-f-]{36}$"));
        var jobId = Guid.Parse(new Uri(s.Page.Url).Segments[^1]);
        var job = await app.WithScope(sp => sp.GetRequiredService<KilnDbContext>().Jobs.IgnoreQueryFilters().AsNoTracking().SingleAsync(j => j.Id == jobId));
        JobInput.Parse(job.InputsJson).Single().Slot.ShouldBe("subtitles");
        for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline && await s.Page.Locator(".page-head .badge").TextContentAsync() is not ("succeeded" or "failed");)
        {
            await Task.Delay(500);
            await s.Page.ReloadAsync();
        }
        await Expect(s.Page.Locator(".page-head .badge")).ToHaveTextAsync("succeeded");
    }

    [Fact]
    public async Task Without_JavaScript_every_slot_takes_a_link_and_errors_stand_beside_their_slot()
    {
        await using var s = await BrowserSession.OpenAsync(app, nameof(Without_JavaScript_every_slot_takes_a_link_and_errors_stand_beside_their_slot), javaScript: false);
        await s.SignUpAsync(Email("slots-nojs"));
        await s.GoAsync("/jobs/new?pipelineId=dubbing");
        await Expect(s.Page.Locator("#slot-voice-url")).ToBeVisibleAsync();
        await Expect(s.Page.Locator("#slot-background-url")).ToBeVisibleAsync();

        // A bad link for the background: its error is beside the background, and the voice is still asked for.
        await s.Page.Locator("#slot-background-url").FillAsync("ftp://example.com/music.wav");
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Start job" }).ClickAsync();
        await Expect(s.Page.Locator("#slot-background-error")).ToContainTextAsync("Only http:// and https:// links");
        await Expect(s.Page.Locator("#slot-background-url")).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(s.Page.Locator("#slot-background-url")).ToHaveValueAsync("ftp://example.com/music.wav");
        await Expect(s.Page.Locator("#slot-voice-error")).ToBeEmptyAsync();
        new Uri(s.Page.Url).AbsolutePath.ShouldBe("/jobs/new");

        // Without a bad link, Start says which input is missing, beside it.
        await s.Page.Locator("#slot-background-url").FillAsync("");
        await s.Page.GetByRole(AriaRole.Button, new() { Name = "Start job" }).ClickAsync();
        await Expect(s.Page.Locator("#slot-voice-error")).ToContainTextAsync("Voice track or video");
        await s.ShotAsync("nojs-voice-missing");
    }
}
