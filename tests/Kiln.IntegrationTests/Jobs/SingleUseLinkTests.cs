using System.Net;
using System.Net.Http.Headers;
using Kiln.IntegrationTests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Kiln.IntegrationTests.Jobs;

/// <summary>
/// Single-use download links: the first request gets the bytes, every later one 410 link_used — also when several
/// requests race, on one host or on two web hosts sharing the database, on SQLite and PostgreSQL.
/// </summary>
public sealed class SingleUseLinkTests(PostgresServer pg)
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task A_link_raced_by_two_web_hosts_gives_the_bytes_to_exactly_one_request(string provider)
    {
        await using var first = await KilnTestHost.StartAsync(provider, pg);
        // A second web process on the same database and storage, as in the scaled deployment.
        await using var second = KilnTestHost.Start(first.Database, worker: false, new Dictionary<string, string?> { ["Kiln:Storage:LocalPath"] = first.BlobPath });
        var user = await first.SignUpAsync();
        var (jobId, artifactId) = await FinishedArtifactAsync(user);
        var expected = await (await user.Client.GetAsync($"/jobs/{jobId}/artifacts/{artifactId}")).Content.ReadAsByteArrayAsync();
        expected.Length.ShouldBeGreaterThan(0);

        for (var round = 0; round < 3; round++)
        {
            var link = await (await user.Client.PostAsync($"/api/jobs/{jobId}/artifacts/{artifactId}/single-use-link", null)).Json(HttpStatusCode.Created);
            var url = new Uri(link.GetProperty("url").GetString()!);
            url.AbsolutePath.ShouldStartWith("/links/");
            link.GetProperty("expiresAt").GetDateTime().ShouldBeGreaterThan(DateTime.UtcNow.AddHours(23));

            var clients = new[] { first.CreateClient(), second.CreateClient(), first.CreateClient(), second.CreateClient() };
            using var start = new Barrier(clients.Length);
            var responses = await Task.WhenAll(clients.Select(c => Task.Run(async () =>
            {
                start.SignalAndWait(TimeSpan.FromSeconds(10));
                var r = await c.GetAsync(url.PathAndQuery);
                return (r.StatusCode, Body: await r.Content.ReadAsByteArrayAsync(), Type: r.Content.Headers.ContentType?.MediaType);
            })));
            responses.Count(r => r.StatusCode == HttpStatusCode.OK).ShouldBe(1, string.Join(", ", responses.Select(r => r.StatusCode)));
            responses.Single(r => r.StatusCode == HttpStatusCode.OK).Body.ShouldBe(expected);
            responses.Where(r => r.StatusCode != HttpStatusCode.OK).ShouldAllBe(r => r.StatusCode == HttpStatusCode.Gone && r.Type == "application/problem+json");
            await (await second.CreateClient().GetAsync(url.PathAndQuery)).Problem(HttpStatusCode.Gone, "link_used");
        }
        await using var db = first.NewDbContext();
        (await db.SingleUseLinks.CountAsync(l => l.ArtifactId == artifactId && l.UsedAt != null)).ShouldBe(3);
    }

    [Fact]
    public async Task A_spent_or_expired_link_tells_a_browser_why_and_a_foreign_artifact_gets_no_link()
    {
        await using var host = await KilnTestHost.StartAsync("sqlite", pg);
        var user = await host.SignUpAsync();
        var (jobId, artifactId) = await FinishedArtifactAsync(user);
        var link = await (await user.Client.PostAsync($"/api/jobs/{jobId}/artifacts/{artifactId}/single-use-link", null)).Json(HttpStatusCode.Created);
        var path = new Uri(link.GetProperty("url").GetString()!).PathAndQuery;
        var anonymous = host.CreateClient();
        var ok = await anonymous.GetAsync(path);
        ok.StatusCode.ShouldBe(HttpStatusCode.OK);
        ok.Content.Headers.ContentDisposition!.DispositionType.ShouldBe("attachment");
        ok.Headers.CacheControl!.NoStore.ShouldBeTrue();

        using var again = new HttpRequestMessage(HttpMethod.Get, path);
        again.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        var page = await anonymous.SendAsync(again);
        page.StatusCode.ShouldBe(HttpStatusCode.Gone);
        page.Content.Headers.ContentType!.MediaType.ShouldBe("text/html");
        (await page.Content.ReadAsStringAsync()).ShouldContain("This link has already been used");

        var unused = await (await user.Client.PostAsync($"/api/jobs/{jobId}/artifacts/{artifactId}/single-use-link", null)).Json(HttpStatusCode.Created);
        await using (var db = host.NewDbContext())
            await db.SingleUseLinks.Where(l => l.Id == unused.GetProperty("id").GetGuid()).ExecuteUpdateAsync(s => s.SetProperty(l => l.ExpiresAt, DateTime.UtcNow.AddMinutes(-1)));
        await (await anonymous.GetAsync(new Uri(unused.GetProperty("url").GetString()!).PathAndQuery)).Problem(HttpStatusCode.Gone, "link_expired");
        await (await anonymous.GetAsync("/links/not-a-real-token")).Problem(HttpStatusCode.NotFound, "link_not_found");

        var other = await host.SignUpAsync();
        await (await other.Client.PostAsync($"/api/jobs/{jobId}/artifacts/{artifactId}/single-use-link", null)).Problem(HttpStatusCode.NotFound, "not_found");

        // Deleting the job's files takes their links with them.
        (await user.Client.DeleteAsync($"/api/jobs/{jobId}/artifacts")).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await using (var db = host.NewDbContext()) (await db.SingleUseLinks.IgnoreQueryFilters().CountAsync(l => l.JobId == jobId)).ShouldBe(0);
    }

    private static async Task<(Guid Job, Guid Artifact)> FinishedArtifactAsync(TestUser user)
    {
        var job = (await (await user.Client.CreateJob("sleep", new { seconds = 1 })).Json(HttpStatusCode.Created)).Id();
        await user.Client.WaitForJob(job, "succeeded");
        var artifacts = await (await user.Client.GetAsync($"/api/jobs/{job}/artifacts")).Json(HttpStatusCode.OK);
        return (job, artifacts[0].GetProperty("id").GetGuid());
    }
}
