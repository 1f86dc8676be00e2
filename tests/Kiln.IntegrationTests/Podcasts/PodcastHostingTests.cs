using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Xml.Linq;
using Kiln.Core.Podcasts;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Kiln.IntegrationTests.Podcasts;

/// <summary>An episode from upload to feed: processing by the podcast-episode job, editing, publishing, the feed, media and statistics.</summary>
public sealed class PodcastHostingTests(PostgresServer pg)
{
    private static readonly XNamespace Itunes = FeedWriter.Itunes;
    private static readonly XNamespace Pc = FeedWriter.Podcast;

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task An_uploaded_episode_is_processed_published_and_served_in_a_valid_feed(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, overrides: PodcastTestKit.Settings, services: PodcastTestKit.AddTestPipeline);
        var user = await host.SignUpAsync();
        var anon = host.CreateClient();
        var art = await user.Client.UploadReadyAsync("cover.jpg", PodcastTestKit.Image(1400, 1400));
        var show = await user.Client.CreateShow("Kiln Talk", art);
        var showId = show.Id();
        var audio = await user.Client.UploadReadyAsync("take1.mp3", PodcastTestKit.Mp3(3));
        var before = (await user.Client.Balance()).GetProperty("available").GetInt64();

        var created = await (await user.Client.PostAsJsonAsync($"/api/shows/{showId}/episodes", new { title = "Cracks & glazes", season = 1, number = 2, uploadId = audio }))
            .Json(HttpStatusCode.Created);
        created.GetProperty("status").GetString().ShouldBe("processing");
        created.GetProperty("jobId").ValueKind.ShouldBe(JsonValueKind.String);
        var episodeId = created.Id();
        var ready = await user.Client.WaitForEpisode(showId, episodeId, "ready", "draft");
        ready.GetProperty("status").GetString().ShouldBe("ready", ready.ToString());
        ready.GetProperty("showNotes").GetString().ShouldBe(TestPodcastEpisodePipeline.Notes);
        ready.GetProperty("durationSeconds").GetDouble().ShouldBe(3, 0.1);
        ready.GetProperty("chapters").GetArrayLength().ShouldBe(2);
        ready.GetProperty("transcript").GetString()!.ShouldContain("Kilns fire clay.");
        (await user.Client.Balance()).GetProperty("available").GetInt64().ShouldBe(before - 2, "the job's credits were captured");

        // Edits are the episode's own: transcript (WebVTT) and chapters.
        await (await user.Client.PatchAsJsonAsync($"/api/shows/{showId}/episodes/{episodeId}", new { transcript = "not vtt" })).Problem(HttpStatusCode.BadRequest, "invalid_transcript");
        var edited = await (await user.Client.PatchAsJsonAsync($"/api/shows/{showId}/episodes/{episodeId}", new
        {
            transcript = "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\n<v Ada>Kilns fire clay hot.\n\n00:00:01.500 --> 00:00:03.000\nThen they cool.\n",
            chapters = new[] { new { startTime = 0.0, title = "Heat" }, new { startTime = 1.5, title = "Cool" } },
        })).Json(HttpStatusCode.OK);
        edited.GetProperty("chapters")[0].GetProperty("title").GetString().ShouldBe("Heat");

        // Not published: no feed item, no media.
        var emptyFeed = XDocument.Parse(await anon.GetStringAsync("/feeds/kiln-talk.xml"));
        emptyFeed.Descendants("item").ShouldBeEmpty();
        var published = await (await user.Client.PostAsJsonAsync($"/api/shows/{showId}/episodes/{episodeId}/publish", new { })).Json(HttpStatusCode.OK);
        published.GetProperty("status").GetString().ShouldBe("published");
        var audioUrl = published.GetProperty("audioUrl").GetString()!;

        // The feed: well-formed, Apple's tags, Podcasting 2.0 tags; then the independent parser.
        var feedResponse = await anon.GetAsync("/feeds/kiln-talk.xml");
        feedResponse.StatusCode.ShouldBe(HttpStatusCode.OK);
        feedResponse.Content.Headers.ContentType!.MediaType.ShouldBe("application/rss+xml");
        var xml = await feedResponse.Content.ReadAsStringAsync();
        var doc = XDocument.Parse(xml);
        var channel = doc.Root!.Element("channel")!;
        doc.Root.Attribute("version")!.Value.ShouldBe("2.0");
        channel.Element(Itunes + "image")!.Attribute("href")!.Value.ShouldBe(show.GetProperty("artworkUrl").GetString());
        var category = channel.Element(Itunes + "category")!;
        category.Attribute("text")!.Value.ShouldBe("Arts");
        category.Element(Itunes + "category")!.Attribute("text")!.Value.ShouldBe("Visual Arts");
        AppleCategories.Check(category.Attribute("text")!.Value, category.Element(Itunes + "category")!.Attribute("text")!.Value).ShouldBeNull();
        channel.Element(Itunes + "explicit")!.Value.ShouldBeOneOf("true", "false");
        channel.Element(Itunes + "owner")!.Element(Itunes + "email")!.Value.ShouldBe("ada@example.test");
        channel.Element(Pc + "locked")!.Attribute("owner")!.Value.ShouldBe("ada@example.test");
        var item = channel.Element("item")!;
        item.Element(Itunes + "duration")!.Value.ShouldBe("3");
        item.Element(Itunes + "explicit")!.Value.ShouldBeOneOf("true", "false");
        item.Element("guid")!.Value.ShouldBe(published.GetProperty("itemGuid").GetString());
        var enclosure = item.Element("enclosure")!;
        enclosure.Attribute("url")!.Value.ShouldBe(audioUrl);
        enclosure.Attribute("type")!.Value.ShouldBe("audio/mpeg");
        var mp3 = await anon.GetByteArrayAsync(audioUrl);
        long.Parse(enclosure.Attribute("length")!.Value).ShouldBe(mp3.LongLength, "the enclosure length is the file's exact size");
        mp3[..3].ShouldBe("ID3"u8.ToArray());
        item.Element("description")!.Value.ShouldNotContain("<script>", Case.Insensitive, "raw HTML in show notes is escaped");

        var parsed = await PodcastTestKit.ParseWithPartytime(xml);
        parsed.GetProperty("title").GetString().ShouldBe("Kiln Talk");
        parsed.GetProperty("itunesImage").GetString().ShouldBe(show.GetProperty("artworkUrl").GetString());
        parsed.GetProperty("itunesCategory")[0].GetString().ShouldBe("Arts > Visual Arts");
        parsed.GetProperty("explicit").GetBoolean().ShouldBeFalse();
        parsed.GetProperty("author").GetString().ShouldBe("Ada Potter");
        parsed.GetProperty("owner").GetProperty("email").GetString().ShouldBe("ada@example.test");
        parsed.GetProperty("itunesType").GetString().ShouldBe("episodic");
        parsed.GetProperty("guid").GetString().ShouldBe(show.GetProperty("podcastGuid").GetString());
        parsed.GetProperty("locked").GetBoolean().ShouldBeTrue();
        parsed.GetProperty("podcastOwner").GetString().ShouldBe("ada@example.test");
        parsed.GetProperty("podcastFunding")[0].GetProperty("url").GetString().ShouldBe("https://example.test/support");
        parsed.GetProperty("podcastFunding")[0].GetProperty("message").GetString().ShouldBe("Support the kiln");
        var people = parsed.GetProperty("podcastPeople").EnumerateArray().ToList();
        people.Select(p => (p.GetProperty("name").GetString(), p.GetProperty("role").GetString())).ShouldBe([("Ada Potter", "Host"), ("Ben Glaze", "Guest")]);
        var pItem = parsed.GetProperty("items")[0];
        pItem.GetProperty("guid").GetString().ShouldBe(published.GetProperty("itemGuid").GetString());
        pItem.GetProperty("enclosure").GetProperty("length").GetInt64().ShouldBe(mp3.LongLength);
        pItem.GetProperty("duration").GetInt32().ShouldBe(3);
        pItem.GetProperty("itunesSeason").GetInt32().ShouldBe(1);
        pItem.GetProperty("itunesEpisode").GetInt32().ShouldBe(2);
        pItem.GetProperty("itunesEpisodeType").GetString().ShouldBe("full");
        var transcripts = pItem.GetProperty("podcastTranscripts").EnumerateArray().ToDictionary(t => t.GetProperty("type").GetString()!, t => t.GetProperty("url").GetString()!);
        transcripts.Keys.ShouldBe(["text/vtt", "application/srt", "application/json"], ignoreOrder: true);
        pItem.GetProperty("podcastChapters").GetProperty("type").GetString().ShouldBe("application/json+chapters");
        foreach (var tag in new[] { "locked", "funding", "transcript", "chapters", "person", "guid" })
            parsed.GetProperty("pc20support").EnumerateObject().SelectMany(p => p.Value.EnumerateArray().Select(v => v.GetString())).ShouldContain(tag);

        // The transcript and chapter URLs serve the edited versions, in each format.
        (await anon.GetStringAsync(transcripts["text/vtt"])).ShouldContain("Kilns fire clay hot.");
        (await anon.GetStringAsync(transcripts["application/srt"])).ShouldContain("00:00:00,000 --> 00:00:01,500\nAda: Kilns fire clay hot.");
        var pcJson = JsonDocument.Parse(await anon.GetStringAsync(transcripts["application/json"])).RootElement;
        pcJson.GetProperty("segments")[0].GetProperty("speaker").GetString().ShouldBe("Ada");
        var chapters = JsonDocument.Parse(await anon.GetStringAsync(pItem.GetProperty("podcastChapters").GetProperty("url").GetString())).RootElement;
        chapters.GetProperty("version").GetString().ShouldBe("1.2.0");
        chapters.GetProperty("chapters")[1].GetProperty("startTime").GetDouble().ShouldBe(1.5);

        // Caching: ETag and Last-Modified, each answering 304.
        var etag = feedResponse.Headers.ETag!;
        var conditional = new HttpRequestMessage(HttpMethod.Get, "/feeds/kiln-talk.xml");
        conditional.Headers.IfNoneMatch.Add(etag);
        (await anon.SendAsync(conditional)).StatusCode.ShouldBe(HttpStatusCode.NotModified);
        var since = new HttpRequestMessage(HttpMethod.Get, "/feeds/kiln-talk.xml");
        since.Headers.IfModifiedSince = feedResponse.Content.Headers.LastModified;
        (await anon.SendAsync(since)).StatusCode.ShouldBe(HttpStatusCode.NotModified);
        await (await user.Client.PatchAsJsonAsync($"/api/shows/{showId}/episodes/{episodeId}", new { title = "Cracks and glazes" })).Json(HttpStatusCode.OK);
        var changed = new HttpRequestMessage(HttpMethod.Get, "/feeds/kiln-talk.xml");
        changed.Headers.IfNoneMatch.Add(etag);
        (await anon.SendAsync(changed)).StatusCode.ShouldBe(HttpStatusCode.OK, "an edit changes the ETag");

        // Byte ranges on the enclosure: first byte, middle, suffix, unsatisfiable.
        async Task<HttpResponseMessage> Range(string range)
        {
            var r = new HttpRequestMessage(HttpMethod.Get, audioUrl);
            r.Headers.TryAddWithoutValidation("Range", range);
            r.Headers.UserAgent.ParseAdd("RangeTester/1.0");
            return await anon.SendAsync(r);
        }
        var first = await Range("bytes=0-0");
        first.StatusCode.ShouldBe(HttpStatusCode.PartialContent);
        first.Content.Headers.ContentRange!.ToString().ShouldBe($"bytes 0-0/{mp3.Length}");
        (await first.Content.ReadAsByteArrayAsync()).ShouldBe(mp3[..1]);
        var middle = await Range("bytes=100-199");
        middle.StatusCode.ShouldBe(HttpStatusCode.PartialContent);
        (await middle.Content.ReadAsByteArrayAsync()).ShouldBe(mp3[100..200]);
        var suffix = await Range("bytes=-100");
        suffix.StatusCode.ShouldBe(HttpStatusCode.PartialContent);
        (await suffix.Content.ReadAsByteArrayAsync()).ShouldBe(mp3[^100..]);
        var invalid = await Range($"bytes={mp3.Length + 10}-");
        invalid.StatusCode.ShouldBe(HttpStatusCode.RequestedRangeNotSatisfiable);
        invalid.Content.Headers.ContentRange!.ToString().ShouldBe($"bytes */{mp3.Length}");
        var whole = await anon.GetAsync(audioUrl);
        whole.Headers.AcceptRanges.ShouldContain("bytes");

        // Unpublish: gone from the feed and from the media URL.
        await (await user.Client.PostAsync($"/api/shows/{showId}/episodes/{episodeId}/unpublish", null)).Json(HttpStatusCode.OK);
        XDocument.Parse(await anon.GetStringAsync("/feeds/kiln-talk.xml")).Descendants("item").ShouldBeEmpty();
        (await anon.GetAsync(audioUrl)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        await DbAssertions.LedgerBalances(host.NewDbContext());
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Downloads_count_once_per_listener_a_day_without_bots_or_raw_ips(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, overrides: PodcastTestKit.Settings, services: PodcastTestKit.AddTestPipeline);
        var user = await host.SignUpAsync();
        var showId = (await user.Client.CreateShow("Counted")).Id();
        var audio = await user.Client.UploadReadyAsync("take.mp3", PodcastTestKit.Mp3(2));
        var episodeId = (await (await user.Client.PostAsJsonAsync($"/api/shows/{showId}/episodes", new { title = "One", uploadId = audio })).Json(HttpStatusCode.Created)).Id();
        await user.Client.WaitForEpisode(showId, episodeId, "ready");
        var url = (await (await user.Client.PostAsJsonAsync($"/api/shows/{showId}/episodes/{episodeId}/publish", new { })).Json(HttpStatusCode.OK)).GetProperty("audioUrl").GetString()!;

        var anon = host.CreateClient();
        async Task Get(string userAgent, string? range = null)
        {
            var r = new HttpRequestMessage(HttpMethod.Get, url);
            r.Headers.TryAddWithoutValidation("User-Agent", userAgent);
            if (range is not null) r.Headers.TryAddWithoutValidation("Range", range);
            (await anon.SendAsync(r)).IsSuccessStatusCode.ShouldBeTrue();
        }
        await Get("AppleCoreMedia/1.0.0.21A329 (iPhone; U; CPU OS 17_0 like Mac OS X)");
        await Get("AppleCoreMedia/1.0.0.21A329 (iPhone; U; CPU OS 17_0 like Mac OS X)");            // same listener again
        await Get("AppleCoreMedia/1.0.0.21A329 (iPhone; U; CPU OS 17_0 like Mac OS X)", "bytes=5000-"); // a resume
        await Get("Overcast/3.0 (+http://overcast.fm/; iOS podcast app)");                          // a second listener
        await Get("PocketCasts/7.0", "bytes=0-1");                                                 // a probe, not a listen
        await Get("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)");      // a bot
        await Get("curl/8.4.0");
        var head = new HttpRequestMessage(HttpMethod.Head, url);
        head.Headers.TryAddWithoutValidation("User-Agent", "Castro/2024");
        (await anon.SendAsync(head)).StatusCode.ShouldBe(HttpStatusCode.OK);

        var stats = await (await user.Client.GetAsync($"/api/shows/{showId}/stats?days=7")).Json(HttpStatusCode.OK);
        stats.GetProperty("total").GetInt64().ShouldBe(2);
        stats.GetProperty("days").GetArrayLength().ShouldBe(7);
        stats.GetProperty("days")[6].GetProperty("downloads").GetInt64().ShouldBe(2);
        (await (await user.Client.GetAsync($"/api/shows/{showId}/episodes/{episodeId}/stats")).Json(HttpStatusCode.OK)).GetProperty("total").GetInt64().ShouldBe(2);

        await using var db = host.NewDbContext();
        var rows = await db.EpisodeDownloads.AsNoTracking().ToListAsync();
        rows.Count.ShouldBe(2);
        rows.ShouldAllBe(r => r.Listener.Length == 32 && !r.Listener.Contains('.') && !r.Listener.Contains(':'));
        (await db.Set<DownloadSalt>().CountAsync()).ShouldBe(1);
    }

    [Fact]
    public async Task A_failed_job_sends_the_episode_back_to_draft_with_the_error_and_releases_the_hold()
    {
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, overrides: PodcastTestKit.Settings, services: PodcastTestKit.AddTestPipeline);
        var user = await host.SignUpAsync();
        var showId = (await user.Client.CreateShow("Failing")).Id();
        var audio = await user.Client.UploadReadyAsync("fail.mp3", PodcastTestKit.Mp3(1));
        var before = (await user.Client.Balance()).GetProperty("available").GetInt64();
        var episodeId = (await (await user.Client.PostAsJsonAsync($"/api/shows/{showId}/episodes", new { title = "Doomed", uploadId = audio })).Json(HttpStatusCode.Created)).Id();
        var draft = await user.Client.WaitForEpisode(showId, episodeId, "draft", "ready");
        draft.GetProperty("status").GetString().ShouldBe("draft");
        draft.GetProperty("error").GetString().ShouldBe("The audio could not be processed (test).");
        (await user.Client.Balance()).GetProperty("available").GetInt64().ShouldBe(before);
        await (await user.Client.PostAsJsonAsync($"/api/shows/{showId}/episodes/{episodeId}/publish", new { })).Problem(HttpStatusCode.Conflict, "episode_not_ready");
        await DbAssertions.LedgerBalances(host.NewDbContext());
    }

    [Fact]
    public async Task A_scheduled_episode_is_published_by_the_worker_when_the_clock_reaches_its_time()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, worker: true, PodcastTestKit.Settings,
            s => s.AddSingleton<TimeProvider>(clock));
        var user = await host.SignUpAsync();
        var anon = host.CreateClient();
        var show = await user.Client.CreateShow("On time");
        var showId = show.Id();
        var episodeId = (await (await user.Client.PostAsJsonAsync($"/api/shows/{showId}/episodes", new { title = "Tomorrow's news" })).Json(HttpStatusCode.Created)).Id();
        await using (var db = host.NewDbContext())
        {
            // A processed episode (its job's result), without running a job on a frozen clock.
            var e = await db.Episodes.SingleAsync(x => x.Id == episodeId);
            e.Status = EpisodeStatus.Ready;
            e.AudioKey = PodcastBlobs.EpisodeFile(e.WorkspaceId, showId, e.Id, "episode.mp3");
            e.AudioContentType = "audio/mpeg";
            e.AudioSize = 1234;
            e.DurationSeconds = 61;
            await db.SaveChangesAsync();
        }
        // Within the bearer token's 20-minute lifetime, which runs on the same fake clock.
        var at = clock.GetUtcNow().UtcDateTime.AddMinutes(10);
        var scheduled = await (await user.Client.PostAsJsonAsync($"/api/shows/{showId}/episodes/{episodeId}/publish", new { at })).Json(HttpStatusCode.OK);
        scheduled.GetProperty("status").GetString().ShouldBe("scheduled");

        var loop = host.Loop<PodcastLoop>();
        await loop.RunOnceAsync(TestContext.Current.CancellationToken);
        (await user.Client.WaitForEpisode(showId, episodeId, "scheduled", "published")).GetProperty("status").GetString().ShouldBe("scheduled", "not before its time");
        XDocument.Parse(await anon.GetStringAsync("/feeds/on-time.xml")).Descendants("item").ShouldBeEmpty();

        var idle = loop.WaitForIdlePassAsync(TestContext.Current.CancellationToken);
        clock.Advance(TimeSpan.FromMinutes(11));
        await idle.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        var published = await (await user.Client.GetAsync($"/api/shows/{showId}/episodes/{episodeId}")).Json(HttpStatusCode.OK);
        published.GetProperty("status").GetString().ShouldBe("published");
        published.GetProperty("publishedAt").GetDateTime().ShouldBe(at, TimeSpan.FromSeconds(1), "the publish date is the scheduled time");
        var item = XDocument.Parse(await anon.GetStringAsync("/feeds/on-time.xml")).Descendants("item").Single();
        item.Element(Itunes + "duration")!.Value.ShouldBe("61");
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_private_feed_lives_at_a_token_url_that_rotation_retires(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var user = await host.SignUpAsync();
        var show = await user.Client.CreateShow("Members only", isPrivate: true);
        var feedUrl = show.GetProperty("feedUrl").GetString()!;
        feedUrl.ShouldStartWith("http://localhost/feeds/private/");
        var anon = host.CreateClient();
        (await anon.GetAsync("/feeds/members-only.xml")).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        var ok = await anon.GetAsync(feedUrl);
        ok.StatusCode.ShouldBe(HttpStatusCode.OK);
        ok.Headers.CacheControl!.Private.ShouldBeTrue();
        var rotated = await (await user.Client.PostAsync($"/api/shows/{show.Id()}/feed-token", null)).Json(HttpStatusCode.OK);
        var newUrl = rotated.GetProperty("feedUrl").GetString()!;
        newUrl.ShouldNotBe(feedUrl);
        (await anon.GetAsync(feedUrl)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await anon.GetAsync(newUrl)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
