using System.Net;
using System.Net.Http.Json;
using Kiln.Core.Common;
using Kiln.Core.Notes;
using Kiln.Core.Tests.Support;
using Kiln.IntegrationTests.Infrastructure;

namespace Kiln.IntegrationTests.Privacy;

/// <summary>
/// Per-member privacy: with the workspace setting on, a member's jobs, uploads and notes answer 404 to the other
/// members on every endpoint that takes their id (the cross-tenant table, inside one workspace) until shared.
/// </summary>
public sealed class MemberPrivacyTests(PostgresServer pg)
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Members_see_only_their_own_work_and_what_is_shared_while_owners_see_all(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg);
        var owner = await host.SignUpAsync();
        var alice = await host.SignUpAsync();
        var bob = await host.SignUpAsync();
        var viewer = await host.SignUpAsync();
        await KilnTestHost.JoinAsync(owner, alice);
        await KilnTestHost.JoinAsync(owner, bob);
        await KilnTestHost.JoinAsync(owner, viewer, "viewer");

        await (await alice.Client.PutAsJsonAsync("/api/workspace/privacy", new { memberPrivacy = true })).Problem(HttpStatusCode.Forbidden, "forbidden");
        (await (await owner.Client.PutAsJsonAsync("/api/workspace/privacy", new { memberPrivacy = true })).Json(HttpStatusCode.OK))
            .GetProperty("memberPrivacy").GetBoolean().ShouldBeTrue();
        (await (await bob.Client.GetAsync("/api/workspace/privacy")).Json(HttpStatusCode.OK)).GetProperty("memberPrivacy").GetBoolean().ShouldBeTrue();

        // Alice's work: an upload, a finished job with an artifact, a note.
        var upload = await alice.Client.UploadReadyAsync("paper.pdf", TestFiles.Pdf(2));
        var job = (await (await alice.Client.CreateJob("sleep", new { seconds = 1 })).Json(HttpStatusCode.Created)).Id();
        await alice.Client.WaitForJob(job, "succeeded");
        var artifact = (await (await alice.Client.GetAsync($"/api/jobs/{job}/artifacts")).Json(HttpStatusCode.OK))[0].Id();
        var note = Ids.New();
        await using (var db = host.NewDbContext())
        {
            db.Notes.Add(new Note
            {
                Id = note, WorkspaceId = owner.WorkspaceId, CreatedByUserId = alice.UserId, Title = "Cells", LinkName = "Cells", Markdown = "# Cells",
                ContentJson = "{}", SourceKind = "document", CreatedAt = DateTime.UtcNow, UpdatedAt = DateTime.UtcNow,
            });
            await db.SaveChangesAsync();
        }

        var calls = new (HttpMethod Method, string Url, object? Body)[]
        {
            (HttpMethod.Get, $"/api/jobs/{job}", null),
            (HttpMethod.Post, $"/api/jobs/{job}/cancel", null),
            (HttpMethod.Get, $"/api/jobs/{job}/events", null),
            (HttpMethod.Get, $"/api/jobs/{job}/artifacts", null),
            (HttpMethod.Get, $"/api/jobs/{job}/artifacts/{artifact}/download", null),
            (HttpMethod.Delete, $"/api/jobs/{job}/artifacts", null),
            (HttpMethod.Post, $"/api/jobs/{job}/retry", null),
            (HttpMethod.Put, $"/api/jobs/{job}/sharing", new { shared = true }),
            (HttpMethod.Get, $"/api/uploads/{upload}", null),
            (HttpMethod.Delete, $"/api/uploads/{upload}", null),
            (HttpMethod.Put, $"/api/uploads/{upload}/sharing", new { shared = true }),
            (HttpMethod.Post, "/api/jobs", new { pipeline = "pdf-podcast", uploads = new[] { upload } }),
            (HttpMethod.Post, "/api/jobs/estimate", new { pipeline = "pdf-podcast", uploads = new[] { upload } }),
            (HttpMethod.Get, $"/api/notes/{note}", null),
            (HttpMethod.Put, $"/api/notes/{note}", new { markdown = "# Mine now" }),
            (HttpMethod.Delete, $"/api/notes/{note}", null),
            (HttpMethod.Get, $"/api/notes/{note}/versions", null),
            (HttpMethod.Get, $"/api/notes/{note}/export", null),
            (HttpMethod.Put, $"/api/notes/{note}/sharing", new { shared = true }),
        };
        foreach (var other in new[] { bob, viewer })
        {
            foreach (var (method, url, body) in calls)
            {
                var response = await other.Client.SendAsync(new HttpRequestMessage(method, url) { Content = body is null ? null : JsonContent.Create(body) });
                // A viewer's writes are refused before any lookup (403 read_only), which reveals nothing either.
                var expected = other == viewer && method != HttpMethod.Get ? HttpStatusCode.Forbidden : HttpStatusCode.NotFound;
                response.StatusCode.ShouldBe(expected, $"{method} {url}: {await response.Content.ReadAsStringAsync()}");
            }
            (await (await other.Client.GetAsync("/api/jobs")).Json(HttpStatusCode.OK)).GetProperty("total").GetInt32().ShouldBe(0);
            (await (await other.Client.GetAsync("/api/uploads")).Json(HttpStatusCode.OK)).GetProperty("total").GetInt32().ShouldBe(0);
            (await (await other.Client.GetAsync("/api/notes")).Json(HttpStatusCode.OK)).GetProperty("total").GetInt32().ShouldBe(0);
        }

        // The owner sees everything; Alice sees her own.
        (await (await owner.Client.GetAsync("/api/jobs")).Json(HttpStatusCode.OK)).GetProperty("total").GetInt32().ShouldBe(1);
        (await owner.Client.GetAsync($"/api/notes/{note}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await alice.Client.GetAsync($"/api/uploads/{upload}")).StatusCode.ShouldBe(HttpStatusCode.OK);

        // Shared, Bob sees the job and its files, but only Alice (or an owner/admin) takes it back.
        (await (await alice.Client.PutAsJsonAsync($"/api/jobs/{job}/sharing", new { shared = true })).Json(HttpStatusCode.OK)).GetProperty("shared").GetBoolean().ShouldBeTrue();
        (await bob.Client.GetAsync($"/api/jobs/{job}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await (await bob.Client.GetAsync($"/api/jobs/{job}/artifacts")).Json(HttpStatusCode.OK)).GetArrayLength().ShouldBe(1);
        await (await bob.Client.PutAsJsonAsync($"/api/jobs/{job}/sharing", new { shared = false })).Problem(HttpStatusCode.Forbidden, "forbidden");
        (await (await owner.Client.PutAsJsonAsync($"/api/notes/{note}/sharing", new { shared = true })).Json(HttpStatusCode.OK)).GetProperty("shared").GetBoolean().ShouldBeTrue();
        (await bob.Client.GetAsync($"/api/notes/{note}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await alice.Client.PutAsJsonAsync($"/api/jobs/{job}/sharing", new { shared = false })).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await bob.Client.GetAsync($"/api/jobs/{job}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        // The job page offers the same to its creator (a plain form post), and Bob's job page follows.
        var alicePages = await PageClient.SignInAsync(host, alice.Email);
        (await alicePages.Client.GetStringAsync($"/jobs/{job}")).ShouldContain("Share with the workspace");
        (await alicePages.PostFormAsync($"/jobs/{job}", $"/jobs/{job}?handler=Share", new() { ["shared"] = "true" })).StatusCode.ShouldBe(HttpStatusCode.Redirect);
        (await bob.Client.GetAsync($"/api/jobs/{job}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await alicePages.Client.GetStringAsync($"/jobs/{job}")).ShouldContain("Stop sharing");

        // Privacy off: everyone sees everything again.
        await (await owner.Client.PutAsJsonAsync("/api/workspace/privacy", new { memberPrivacy = false })).Json(HttpStatusCode.OK);
        (await bob.Client.GetAsync($"/api/uploads/{upload}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await bob.Client.GetAsync($"/api/jobs/{job}")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
