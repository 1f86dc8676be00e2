using System.Diagnostics;
using Kiln.Core.Accounts;
using Kiln.Core.Data;
using Kiln.Core.Podcasts;
using Kiln.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Kiln.BrowserTests;

/// <summary>A show with a published episode (real MP3, transcript, chapters) for page checks, made through the use cases.</summary>
public static class PodcastPages
{
    public static async Task<IReadOnlyList<string>> SeedAsync(KilnApp app, KilnUser user)
    {
        var caller = new Caller(user.Id, user.CurrentWorkspaceId, WorkspaceRole.Owner);
        var slug = "a11y-" + Guid.NewGuid().ToString("N")[..8];
        return await app.WithScope(async sp =>
        {
            var show = (await sp.GetRequiredService<CreateShowCommand>().Run(caller, new ShowInput("Accessible Kilns", slug, "About kilns.", "Ada", "Ada", "ada@example.com",
                Category: "Arts", Subcategory: "Visual Arts", Persons: [new ShowPerson("Ada", "host")]), new Uri(app.BaseUrl + "/"), CancellationToken.None)).Value!;
            var episode = (await sp.GetRequiredService<CreateEpisodeCommand>().Run(caller, show.Id,
                new EpisodeInput("Pilot", "## Notes\n\nFiring **clay**.", 1, 1, "full"), CancellationToken.None)).Value!;
            var db = sp.GetRequiredService<KilnDbContext>();
            var store = sp.GetRequiredService<IBlobStore>();
            var e = await db.Episodes.SingleAsync(x => x.Id == episode.Id);
            var mp3 = Mp3();
            e.AudioKey = PodcastBlobs.EpisodeFile(e.WorkspaceId, show.Id, e.Id, "episode.mp3");
            await store.PutAsync(e.AudioKey, new MemoryStream(mp3), "audio/mpeg", CancellationToken.None);
            (e.AudioContentType, e.AudioSize, e.DurationSeconds, e.Status) = ("audio/mpeg", mp3.Length, 4, EpisodeStatus.Ready);
            e.TranscriptVtt = "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nKilns fire clay.\n\n00:00:02.000 --> 00:00:04.000\nThen they cool.\n";
            e.ChaptersJson = TranscriptText.ChaptersJson([new Chapter(0, "Firing"), new Chapter(2, "Cooling")]);
            await db.SaveChangesAsync();
            await sp.GetRequiredService<PublishEpisodeCommand>().Run(caller, show.Id, e.Id, null, CancellationToken.None);
            // A draft to record, so the recording page is checked with its recorder.
            var draft = (await sp.GetRequiredService<CreateEpisodeCommand>().Run(caller, show.Id, new EpisodeInput("Second take"), CancellationToken.None)).Value!;
            return (IReadOnlyList<string>)[$"/shows/{show.Id}", $"/shows/{show.Id}/edit", $"/shows/{show.Id}/episodes/{e.Id}", $"/podcasts/{slug}", $"/podcasts/{slug}/{e.ItemGuid}",
                $"/shows/{show.Id}/episodes/{draft.Id}/record"];
        });
    }

    private static byte[] Mp3()
    {
        var path = Path.Combine(Path.GetTempPath(), $"kiln-a11y-{Guid.NewGuid():N}.mp3");
        var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true };
        foreach (var a in new[] { "-v", "error", "-y", "-f", "lavfi", "-i", "sine=d=4", "-ac", "1", "-b:a", "64k", path }) psi.ArgumentList.Add(a);
        using (var p = Process.Start(psi)!) { p.StandardError.ReadToEnd(); p.WaitForExit(); }
        try { return File.ReadAllBytes(path); } finally { File.Delete(path); }
    }
}
