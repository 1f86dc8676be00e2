using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Kiln.Core.Podcasts;
using Kiln.IntegrationTests.Infrastructure;

namespace Kiln.IntegrationTests.Podcasts;

public sealed class ShowsApiTests(PostgresServer pg)
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Shows_are_created_read_updated_and_deleted_within_the_plan_limit(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var user = await host.SignUpAsync();
        (await (await user.Client.GetAsync("/api/shows")).Json(HttpStatusCode.OK)).GetArrayLength().ShouldBe(0);

        var art = await user.Client.UploadReadyAsync("cover.jpg", PodcastTestKit.Image(1400, 1400));
        var show = await user.Client.CreateShow("The Kiln Hour", art);
        show.GetProperty("slug").GetString().ShouldBe("the-kiln-hour");
        show.GetProperty("feedUrl").GetString().ShouldBe("http://localhost/feeds/the-kiln-hour.xml");
        // podcast:guid is UUIDv5(podcast namespace, feed URL without scheme); the spec's worked example checks the algorithm.
        Guid.Parse(show.GetProperty("podcastGuid").GetString()!).ShouldBe(PodcastGuid.ForFeedUrl("http://localhost/feeds/the-kiln-hour.xml"));
        PodcastGuid.ForFeedUrl("https://mp3s.nashownotes.com/pc20rss.xml").ShouldBe(Guid.Parse("917393e3-1b1e-5cef-ace4-edaa54e1f810"));
        show.GetProperty("artworkUrl").GetString()!.ShouldStartWith("http://localhost/media/the-kiln-hour/artwork-");
        show.GetProperty("persons").GetArrayLength().ShouldBe(2);
        var id = show.Id();

        var art2 = await user.Client.UploadReadyAsync("cover.png", PodcastTestKit.Image(1500, 1500, "png", "rgb24"));
        var body = PodcastTestKit.ShowBody("The Kiln Hour, renamed", art2, slug: "kiln-hour");
        var updated = await (await user.Client.PutAsJsonAsync($"/api/shows/{id}", body)).Json(HttpStatusCode.OK);
        updated.GetProperty("slug").GetString().ShouldBe("kiln-hour");
        updated.GetProperty("podcastGuid").GetString().ShouldBe(show.GetProperty("podcastGuid").GetString(), "the guid never changes");
        updated.GetProperty("artworkUrl").GetString()!.ShouldEndWith(".png");
        var artwork = await host.CreateClient().GetAsync(updated.GetProperty("artworkUrl").GetString());
        artwork.StatusCode.ShouldBe(HttpStatusCode.OK);
        artwork.Content.Headers.ContentType!.MediaType.ShouldBe("image/png");

        // Apple's category list, slugs, the plan's limit (Free: 1 show) with its upgrade link.
        await (await user.Client.PostAsJsonAsync("/api/shows", new { title = "X", category = "Pottery" })).Problem(HttpStatusCode.BadRequest, "invalid_category");
        var sub = await (await user.Client.PostAsJsonAsync("/api/shows", new { title = "X", category = "Arts", subcategory = "Baseball" })).Problem(HttpStatusCode.BadRequest, "invalid_subcategory");
        sub.GetProperty("title").GetString()!.ShouldContain("Visual Arts");
        await (await user.Client.PostAsJsonAsync("/api/shows", new { title = "X", slug = "-bad slug", category = "Arts" })).Problem(HttpStatusCode.BadRequest, "invalid_slug");
        var limit = await (await user.Client.PostAsJsonAsync("/api/shows", new { title = "Second", category = "Arts" })).Problem(HttpStatusCode.Forbidden, "plan_show_limit");
        limit.GetProperty("title").GetString()!.ShouldContain("/pricing");
        limit.GetProperty("upgradeUrl").GetString().ShouldBe("/pricing");
        var other = await host.SignUpAsync();
        await (await other.Client.PostAsJsonAsync("/api/shows", new { title = "Mine", slug = "kiln-hour", category = "Arts" })).Problem(HttpStatusCode.Conflict, "slug_taken");

        (await user.Client.DeleteAsync($"/api/shows/{id}")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await host.CreateClient().GetAsync("/feeds/kiln-hour.xml")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await user.Client.PostAsJsonAsync("/api/shows", new { title = "Second", category = "Technology" })).StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Fact]
    public async Task Artwork_is_checked_on_upload_with_sentences_that_name_the_problem()
    {
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, worker: false);
        var user = await host.SignUpAsync();
        async Task<string> Rejected(string name, byte[] bytes, HttpStatusCode status = HttpStatusCode.UnprocessableEntity, string code = "artwork_invalid") =>
            (await (await user.Client.UploadAsync(name, bytes)).Problem(status, code)).GetProperty("title").GetString()!;

        (await Rejected("wide.jpg", PodcastTestKit.Image(1600, 1400))).ShouldBe("The artwork is 1600×1400 px; podcast artwork must be square (the same width and height).");
        (await Rejected("small.jpg", PodcastTestKit.Image(1200, 1200))).ShouldBe("The artwork is 1200×1200 px; Apple needs at least 1400×1400.");
        (await Rejected("huge.png", PodcastTestKit.Image(3200, 3200, "png", "rgb24"))).ShouldBe("The artwork is 3200×3200 px; Apple accepts at most 3000×3000.");
        (await Rejected("gray.png", PodcastTestKit.Image(1400, 1400, "png", "gray"))).ShouldContain("grayscale");
        (await Rejected("alpha.png", PodcastTestKit.Image(1400, 1400, "png", "rgba"))).ShouldContain("transparent");
        (await Rejected("print.jpg", PodcastTestKit.CmykJpegHeader(1400))).ShouldContain("CMYK");
        (await Rejected("notes.jpg", "just some text, not a picture"u8.ToArray(), code: "type_mismatch")).ShouldContain("not a JPEG or PNG");
        (await Rejected("broken.png", PodcastTestKit.Image(1400, 1400, "png", "rgb24")[..20])).ShouldContain("damaged");

        var ok = await (await user.Client.UploadAsync("cover.jpg", PodcastTestKit.Image(3000, 3000))).Json(HttpStatusCode.OK);
        ok.GetProperty("kind").GetString().ShouldBe("image");
        // An upload that is not an image cannot become artwork.
        var audio = await user.Client.UploadReadyAsync("tone.mp3", PodcastTestKit.Mp3(1));
        await (await user.Client.PostAsJsonAsync("/api/shows", PodcastTestKit.ShowBody("Kilns", audio))).Problem(HttpStatusCode.BadRequest, "invalid_artwork");
        await using var db = host.NewDbContext();
        db.Shows.Count().ShouldBe(0, "nothing half-created");
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Foreign_show_and_episode_ids_answer_404_on_every_route(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false, services: PodcastTestKit.AddTestPipeline);
        var owner = await host.SignUpAsync();
        var stranger = await host.SignUpAsync();
        var show = (await owner.Client.CreateShow("Owner's show")).Id();
        var episode = (await (await owner.Client.PostAsJsonAsync($"/api/shows/{show}/episodes", new { title = "Pilot" })).Json(HttpStatusCode.Created)).Id();
        var strangerShow = (await stranger.Client.CreateShow("Stranger's show")).Id();
        var upload = await stranger.Client.UploadReadyAsync("tone.mp3", PodcastTestKit.Mp3(1));

        var calls = new (HttpMethod Method, string Url, object? Body)[]
        {
            (HttpMethod.Get, $"/api/shows/{show}", null),
            (HttpMethod.Put, $"/api/shows/{show}", PodcastTestKit.ShowBody("Taken over")),
            (HttpMethod.Delete, $"/api/shows/{show}", null),
            (HttpMethod.Post, $"/api/shows/{show}/feed-token", null),
            (HttpMethod.Get, $"/api/shows/{show}/stats", null),
            (HttpMethod.Get, $"/api/shows/{show}/episodes", null),
            (HttpMethod.Post, $"/api/shows/{show}/episodes", new { title = "Injected" }),
            (HttpMethod.Get, $"/api/shows/{show}/episodes/{episode}", null),
            (HttpMethod.Patch, $"/api/shows/{show}/episodes/{episode}", new { title = "Changed" }),
            (HttpMethod.Delete, $"/api/shows/{show}/episodes/{episode}", null),
            (HttpMethod.Post, $"/api/shows/{show}/episodes/{episode}/audio", new { uploadId = upload }),
            (HttpMethod.Post, $"/api/shows/{show}/episodes/{episode}/publish", new { }),
            (HttpMethod.Post, $"/api/shows/{show}/episodes/{episode}/unpublish", null),
            (HttpMethod.Get, $"/api/shows/{show}/episodes/{episode}/stats", null),
            // The stranger's own show with the owner's episode id: still not theirs.
            (HttpMethod.Get, $"/api/shows/{strangerShow}/episodes/{episode}", null),
            (HttpMethod.Patch, $"/api/shows/{strangerShow}/episodes/{episode}", new { title = "Changed" }),
            (HttpMethod.Delete, $"/api/shows/{strangerShow}/episodes/{episode}", null),
            (HttpMethod.Post, $"/api/shows/{strangerShow}/episodes/{episode}/publish", new { }),
            (HttpMethod.Get, $"/api/shows/{strangerShow}/episodes/{episode}/stats", null),
        };
        foreach (var (method, url, body) in calls)
        {
            var response = await stranger.Client.SendAsync(new HttpRequestMessage(method, url) { Content = body is null ? null : JsonContent.Create(body) });
            response.StatusCode.ShouldBe(HttpStatusCode.NotFound, $"{method} {url}: {await response.Content.ReadAsStringAsync()}");
        }
        // The owner's upload id is not the stranger's to use either.
        var ownerUpload = await owner.Client.UploadReadyAsync("tone.mp3", PodcastTestKit.Mp3(1));
        (await stranger.Client.PostAsJsonAsync($"/api/shows/{strangerShow}/episodes", new { title = "Stolen", uploadId = ownerUpload })).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        var still = await (await owner.Client.GetAsync($"/api/shows/{show}/episodes/{episode}")).Json(HttpStatusCode.OK);
        still.GetProperty("title").GetString().ShouldBe("Pilot");
        (await (await stranger.Client.GetAsync("/api/shows")).Json(HttpStatusCode.OK)).GetArrayLength().ShouldBe(1);
    }
}
