using System.Net;
using System.Net.Http.Json;
using System.Xml.Linq;
using Kiln.Core.Podcasts;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Kiln.IntegrationTests.Podcasts;

/// <summary>An episode's own artwork: Apple's rules, the item's itunes:image at a stable URL, and the job's ID3 input.</summary>
public sealed class EpisodeArtworkTests(PostgresServer pg)
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Episode_artwork_is_checked_served_in_the_feed_item_and_handed_to_the_job(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: true, PodcastTestKit.Settings, services: PodcastTestKit.AddTestPipeline);
        var user = await host.SignUpAsync();
        var show = await user.Client.CreateShow("Artwork " + Guid.NewGuid().ToString("N")[..6]);
        var showId = show.Id();
        var cover = await user.Client.UploadReadyAsync("episode.png", PodcastTestKit.Image(1600, 1600, "png", "rgb24"));

        var audio = await user.Client.UploadReadyAsync("take.mp3", PodcastTestKit.Mp3());
        // Not an image (a too-small one is already refused at upload): a clear 400 beside the field, and nothing is created.
        (await (await user.Client.PostAsJsonAsync($"/api/shows/{showId}/episodes", new { title = "Wrong", artworkUploadId = audio }))
            .Problem(HttpStatusCode.BadRequest, "invalid_artwork")).GetProperty("field").GetString().ShouldBe("artwork");
        (await (await user.Client.GetAsync($"/api/shows/{showId}/episodes")).Json(HttpStatusCode.OK)).GetArrayLength().ShouldBe(0);

        var episode = await (await user.Client.PostAsJsonAsync($"/api/shows/{showId}/episodes", new { title = "With art", uploadId = audio, artworkUploadId = cover }))
            .Json(HttpStatusCode.Created);
        var episodeId = episode.Id();
        await using (var db = host.NewDbContext())
        {
            var job = await db.Jobs.SingleAsync(j => j.Id == Guid.Parse(episode.GetProperty("jobId").GetString()!));
            job.InputsJson.ShouldContain(cover.ToString(), customMessage: "the artwork goes to the pipeline's artwork slot for the ID3 tags");
        }
        await user.Client.WaitForEpisode(showId, episodeId, "ready");
        var published = await (await user.Client.PostAsJsonAsync($"/api/shows/{showId}/episodes/{episodeId}/publish", new { })).Json(HttpStatusCode.OK);
        var artworkUrl = published.GetProperty("artworkUrl").GetString()!;
        artworkUrl.ShouldEndWith(".png");

        var anon = host.CreateClient();
        var image = await anon.GetAsync(artworkUrl);
        image.StatusCode.ShouldBe(HttpStatusCode.OK);
        image.Content.Headers.ContentType!.MediaType.ShouldBe("image/png");
        var feed = XDocument.Parse(await anon.GetStringAsync(show.GetProperty("feedUrl").GetString()));
        XNamespace itunes = FeedWriter.Itunes;
        feed.Descendants("item").Single().Element(itunes + "image")!.Attribute("href")!.Value.ShouldBe(artworkUrl);
        // A new picture gets a new URL; the old one answers 404.
        var cover2 = await user.Client.UploadReadyAsync("episode2.jpg", PodcastTestKit.Image(1400, 1400));
        var changed = await (await user.Client.PatchAsJsonAsync($"/api/shows/{showId}/episodes/{episodeId}", new { artworkUploadId = cover2 })).Json(HttpStatusCode.OK);
        changed.GetProperty("artworkUrl").GetString()!.ShouldEndWith(".jpg");
        (await anon.GetAsync(artworkUrl)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }
}
