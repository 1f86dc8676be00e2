using System.Net;
using System.Net.Http.Json;
using Kiln.Core.Tests.Support;
using Kiln.IntegrationTests.Infrastructure;

namespace Kiln.IntegrationTests.Api;

/// <summary>Every endpoint that takes an id answers 404 to another workspace — never 403, never the data.</summary>
public sealed class TenancyTests(PostgresServer pg)
{
    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Foreign_ids_answer_404_on_every_id_taking_endpoint(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg);
        var owner = await host.SignUpAsync();
        var stranger = await host.SignUpAsync();

        var upload = await owner.Client.UploadReadyAsync("paper.pdf", TestFiles.Pdf(2));
        var job = (await (await owner.Client.CreateJob("sleep", new { seconds = 1 })).Json(HttpStatusCode.Created)).Id();
        await owner.Client.WaitForJob(job, "succeeded");
        var artifact = (await (await owner.Client.GetAsync($"/api/jobs/{job}/artifacts")).Json(HttpStatusCode.OK))[0].Id();
        var key = (await (await owner.Client.PostAsJsonAsync("/api/api-keys", new { name = "ci" })).Json(HttpStatusCode.Created)).Id();
        var hook = (await (await owner.Client.PostAsJsonAsync("/api/webhooks", new { url = "https://example.invalid/hook", events = new[] { "job.succeeded" } })).Json(HttpStatusCode.Created)).Id();
        var delivery = (await (await owner.Client.PostAsync($"/api/webhooks/{hook}/test", null)).Json(HttpStatusCode.Accepted)).Id();
        var session = (await (await owner.Client.GetAsync("/api/account/sessions")).Json(HttpStatusCode.OK))[0].Id();

        var calls = new (HttpMethod Method, string Url, object? Body)[]
        {
            (HttpMethod.Get, $"/api/jobs/{job}", null),
            (HttpMethod.Post, $"/api/jobs/{job}/cancel", null),
            (HttpMethod.Get, $"/api/jobs/{job}/events", null),
            (HttpMethod.Get, $"/api/jobs/{job}/artifacts", null),
            (HttpMethod.Get, $"/api/jobs/{job}/artifacts/{artifact}/download", null),
            (HttpMethod.Get, $"/api/uploads/{upload}", null),
            (HttpMethod.Post, $"/api/uploads/{upload}/complete", new { }),
            (HttpMethod.Delete, $"/api/uploads/{upload}", null),
            (HttpMethod.Delete, $"/api/api-keys/{key}", null),
            (HttpMethod.Put, $"/api/workspace/members/{owner.UserId}", new { role = "member" }),
            (HttpMethod.Delete, $"/api/workspace/members/{owner.UserId}", null),
            (HttpMethod.Post, $"/api/workspaces/{owner.WorkspaceId}/switch", null),
            (HttpMethod.Post, $"/api/jobs/{job}/retry", null),
            (HttpMethod.Post, "/api/jobs", new { pipeline = "pdf-podcast", uploads = new[] { upload } }),
            (HttpMethod.Post, "/api/jobs/estimate", new { pipeline = "pdf-podcast", uploads = new[] { upload } }),
            (HttpMethod.Post, $"/api/webhooks/{hook}/test", null),
            (HttpMethod.Post, $"/api/webhooks/{hook}/enable", null),
            (HttpMethod.Get, $"/api/webhooks/{hook}/deliveries", null),
            (HttpMethod.Post, $"/api/webhooks/{hook}/deliveries/{delivery}/retry", null),
            (HttpMethod.Delete, $"/api/webhooks/{hook}", null),
            (HttpMethod.Put, $"/api/jobs/{job}/sharing", new { shared = true }),
            (HttpMethod.Put, $"/api/uploads/{upload}/sharing", new { shared = true }),
            (HttpMethod.Post, "/api/workspace/ownership", new { userId = owner.UserId }),
            (HttpMethod.Delete, $"/api/account/sessions/{session}", null),
        };
        foreach (var (method, url, body) in calls)
        {
            var request = new HttpRequestMessage(method, url) { Content = body is null ? null : JsonContent.Create(body) };
            var response = await stranger.Client.SendAsync(request);
            response.StatusCode.ShouldBe(HttpStatusCode.NotFound, $"{method} {url}: {await response.Content.ReadAsStringAsync()}");
        }

        // The owner still sees everything, untouched.
        (await owner.Client.GetAsync($"/api/uploads/{upload}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await owner.Client.GetAsync($"/api/jobs/{job}")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await owner.Client.GetAsync($"/api/webhooks/{hook}/deliveries")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await owner.Client.GetAsync("/api/me")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await (await stranger.Client.GetAsync("/api/webhooks")).Json(HttpStatusCode.OK)).GetArrayLength().ShouldBe(0);
        (await (await stranger.Client.GetAsync("/api/jobs")).Json(HttpStatusCode.OK)).GetProperty("total").GetInt32().ShouldBe(0);
    }

    [Theory, MemberData(nameof(Providers.Both), MemberType = typeof(Providers))]
    public async Task Api_keys_authenticate_for_their_workspace_until_revoked(string provider)
    {
        await using var host = await KilnTestHost.StartAsync(provider, pg, worker: false);
        var owner = await host.SignUpAsync();
        var created = await (await owner.Client.PostAsJsonAsync("/api/api-keys", new { name = "script" })).Json(HttpStatusCode.Created);
        var secret = created.GetProperty("key").GetString()!;
        secret.ShouldStartWith("kiln_");

        var keyClient = host.CreateClient();
        keyClient.DefaultRequestHeaders.Authorization = new("Bearer", secret);
        (await keyClient.Balance()).GetProperty("available").GetInt64().ShouldBe(25);
        var listed = await (await owner.Client.GetAsync("/api/api-keys")).Json(HttpStatusCode.OK);
        listed[0].TryGetProperty("key", out var k).ShouldBeTrue();
        k.ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);

        await (await owner.Client.DeleteAsync($"/api/api-keys/{created.Id()}")).Json(HttpStatusCode.OK);
        (await keyClient.GetAsync("/api/credits")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var anonymous = host.CreateClient();
        (await anonymous.GetAsync("/api/credits")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }
}
