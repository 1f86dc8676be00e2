using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Kiln.Core.Podcasts;
using Kiln.Core.Tests.Support;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Kiln.IntegrationTests.Podcasts;

/// <summary>
/// With S3 as the blob store the players and artwork load from the bucket (presigned links in the studio's episode
/// page; the public page's stable /media link redirects there): the pages' Content-Security-Policy must allow that
/// origin for media and images, or the browser refuses to play.
/// </summary>
public sealed partial class PlayerCspTests(PostgresServer pg, S3Server s3) : IClassFixture<S3Server>
{
    [Fact]
    public async Task On_S3_the_episode_pages_allow_the_bucket_links_they_embed_and_redirect_to()
    {
        await using var host = await KilnTestHost.StartAsync("sqlite", pg, worker: false, WorkerProcess.S3Settings(s3), services: PodcastTestKit.AddTestPipeline);
        var user = await host.SignUpAsync();
        var slug = "csp-" + Guid.NewGuid().ToString("N")[..8];
        var show = (await user.Client.CreateShow("Bucket links", slug: slug)).Id();
        var episodeId = (await (await user.Client.PostAsJsonAsync($"/api/shows/{show}/episodes", new { title = "Played from S3" })).Json(HttpStatusCode.Created)).Id();
        string itemGuid;
        await using (var db = host.NewDbContext())
        {
            var e = await db.Episodes.IgnoreQueryFilters().SingleAsync(x => x.Id == episodeId);
            (e.AudioKey, e.AudioContentType, e.AudioSize, e.DurationSeconds) = ($"ws/{user.WorkspaceId:N}/podcasts/{episodeId:N}/episode.mp3", "audio/mpeg", 1000, 3);
            (e.ArtworkKey, e.ArtworkContentType) = ($"ws/{user.WorkspaceId:N}/podcasts/{episodeId:N}/artwork.jpg", "image/jpeg");
            (e.Status, e.PublishedAt) = (EpisodeStatus.Published, DateTime.UtcNow.AddMinutes(-1));
            itemGuid = e.ItemGuid;
            await db.SaveChangesAsync();
        }

        // The studio's page embeds presigned bucket links for the player and the artwork.
        var page = await PageClient.SignInAsync(host, user.Email);
        var studio = await page.Client.GetAsync($"/shows/{show}/episodes/{episodeId}");
        var html = await studio.Content.ReadAsStringAsync();
        studio.StatusCode.ShouldBe(HttpStatusCode.OK, html);
        var audio = new Uri(WebUtility.HtmlDecode(AudioSrc().Match(html).Groups[1].Value));
        var artwork = new Uri(WebUtility.HtmlDecode(ArtworkSrc().Match(html).Groups[1].Value));
        audio.GetLeftPart(UriPartial.Authority).ShouldBe(s3.ServiceUrl, "the player links to the bucket");
        var policy = Directives(studio);
        policy["media-src"].ShouldContain(audio.GetLeftPart(UriPartial.Authority));
        policy["img-src"].ShouldContain(artwork.GetLeftPart(UriPartial.Authority));
        policy["script-src"].ShouldBe(["'self'"], "only media and images are widened");

        // The public page plays Kiln's stable /media link, which redirects to the bucket: the redirect target is allowed too.
        var anon = host.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var publicPage = await anon.GetAsync($"/podcasts/{slug}/{itemGuid}");
        var publicHtml = await publicPage.Content.ReadAsStringAsync();
        publicPage.StatusCode.ShouldBe(HttpStatusCode.OK, publicHtml);
        var stable = new Uri(WebUtility.HtmlDecode(AudioSrc().Match(publicHtml).Groups[1].Value));
        var redirect = await anon.GetAsync(stable.PathAndQuery);
        redirect.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        Directives(publicPage)["media-src"].ShouldContain(redirect.Headers.Location!.GetLeftPart(UriPartial.Authority));
    }

    private static Dictionary<string, string[]> Directives(HttpResponseMessage r) =>
        r.Headers.GetValues("Content-Security-Policy").Single().Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => d.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToDictionary(d => d[0], d => d[1..]);

    [GeneratedRegex("<audio[^>]*\\ssrc=\"([^\"]+)\"")]
    private static partial Regex AudioSrc();

    [GeneratedRegex("<img[^>]*\\ssrc=\"([^\"]+)\"[^>]*id=\"episode-artwork\"")]
    private static partial Regex ArtworkSrc();
}
